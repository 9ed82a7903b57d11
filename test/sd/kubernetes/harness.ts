// Shared test plumbing: a kubernetes_sd_config parsed from YAML, and a running discoverer whose
// updates are folded into the current set of groups (by source) and recorded in order.
import { parseConfig } from '../../../src/config/index.js';
import type { KubernetesSDConfig, ScrapeConfig } from '../../../src/config/types.js';
import { createLogger } from '../../../src/log/logger.js';
import type { TargetGroup } from '../../../src/model/target-group.js';
import {
  createKubernetesDiscoverer,
  type KubernetesDiscovererOptions,
} from '../../../src/sd/kubernetes/index.js';
import { waitFor } from '../../support/server-process.js';

export { waitFor };

export const quietLogger = createLogger({ level: 'error', format: 'logfmt', write: () => {} });

/** Parses a whole prometheus.yml and returns its first scrape config. */
export function scrapeConfig(yaml: string, dir = '/tmp'): ScrapeConfig {
  return parseConfig(yaml, 'prometheus.yml', dir).scrape_configs[0];
}

/** The kubernetes_sd_configs entry of a one-job config whose SD block is `sdYaml` (indented 6). */
export function sdConfig(sdYaml: string): KubernetesSDConfig {
  const text = `scrape_configs:\n  - job_name: k8s\n    kubernetes_sd_configs:\n${sdYaml}`;
  return scrapeConfig(text).kubernetes_sd_configs[0];
}

export interface RunningDiscovery {
  /** The latest group per source; groups without targets are kept (as removals). */
  groups: Map<string, TargetGroup>;
  updates: TargetGroup[][];
  errors: Error[];
  stop(): Promise<void>;
  /** Groups with targets, sorted by source: what scraping would see. */
  live(): TargetGroup[];
}

export function runDiscovery(
  cfg: KubernetesSDConfig,
  extra: Partial<KubernetesDiscovererOptions> = {},
): RunningDiscovery {
  const d = createKubernetesDiscoverer(cfg, {
    logger: quietLogger,
    job: 'k8s',
    backoff: { initialMs: 10, maxMs: 100 },
    ...extra,
  });
  const ac = new AbortController();
  const groups = new Map<string, TargetGroup>();
  const updates: TargetGroup[][] = [];
  const errors: Error[] = [];
  const done = d.run(
    ac.signal,
    (gs) => {
      updates.push(gs);
      for (const g of gs) groups.set(g.source, g);
    },
    (err) => errors.push(err),
  );
  return {
    groups,
    updates,
    errors,
    async stop() {
      ac.abort();
      await done;
    },
    live() {
      return [...groups.values()]
        .filter((g) => g.targets.length > 0)
        .sort((a, b) => a.source.localeCompare(b.source));
    },
  };
}

/** Waits until the group `source` exists and satisfies `pred`. */
export async function waitForGroup(
  run: RunningDiscovery,
  source: string,
  pred: (g: TargetGroup) => boolean = () => true,
): Promise<TargetGroup> {
  await waitFor(() => {
    const g = run.groups.get(source);
    return g !== undefined && pred(g);
  }, 10_000);
  return run.groups.get(source)!;
}
