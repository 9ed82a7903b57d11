// static_configs as a provider (Prometheus's discovery.StaticConfig): all of a job's static groups form
// one provider, each group's source is its index, sent once.
import type { StaticConfig } from '../config/types.js';
import type { TargetGroup } from '../model/target-group.js';
import type { Discoverer } from './discoverer.js';

export function staticTargetGroups(configs: readonly StaticConfig[]): TargetGroup[] {
  return configs.map((s, i) => ({
    source: String(i),
    targets: s.targets.map((address) => ({ __address__: address })),
    labels: s.labels,
  }));
}

export class StaticDiscoverer implements Discoverer {
  constructor(private readonly configs: readonly StaticConfig[]) {}

  async run(signal: AbortSignal, update: (groups: TargetGroup[]) => void): Promise<void> {
    if (signal.aborted) return;
    update(staticTargetGroups(this.configs));
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }
}
