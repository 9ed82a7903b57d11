// The contract between the discovery manager and its providers (Prometheus's discovery.Discoverer).
import type { Logger } from '../log/logger.js';
import type { TargetGroup } from '../model/target-group.js';

/**
 * A running service-discovery provider. `run` sends target groups through `update` until `signal`
 * aborts: first every group it knows, then each group that changed (by `source`; a group with no
 * targets removes it). It resolves when stopped. A provider that fails keeps running and retrying;
 * it reports failures through `failed` (the manager keeps its last good groups).
 */
export interface Discoverer {
  run(
    signal: AbortSignal,
    update: (groups: TargetGroup[]) => void,
    failed: (err: Error) => void,
  ): Promise<void>;
}

export interface DiscovererOptions {
  logger: Logger;
  /** The job (scrape config) the provider serves, for logs and metrics. */
  job: string;
}
