// The service-discovery page: per scrape pool, each target's discovered labels beside the labels it was
// given after relabeling, and the targets relabeling dropped (/api/v1/targets?state=any).
import { apiGet, type Target } from './api.js';
import { append, h } from './dom.js';
import { errorBox } from './status.js';

interface DroppedTarget {
  discoveredLabels: Record<string, string>;
  scrapePool: string;
}
interface AnyTargetsData {
  activeTargets: Target[];
  droppedTargets: DroppedTarget[];
}

function labelList(labels: Record<string, string>): HTMLElement {
  const el = h('td', { class: 'labels' });
  for (const [k, v] of Object.entries(labels)) append(el, h('span', { class: 'badge' }, `${k}="${v}"`), ' ');
  return el;
}

export function renderServiceDiscoveryPage(root: HTMLElement): void {
  const err = errorBox();
  const out = h('div', { id: 'service-discovery' });
  append(root, h('h1', {}, 'Service discovery'), err.el, out);
  apiGet<AnyTargetsData>('targets', { state: 'any' })
    .then((res) => {
      const pools = new Map<string, { active: Target[]; dropped: DroppedTarget[] }>();
      const pool = (name: string): { active: Target[]; dropped: DroppedTarget[] } => {
        let p = pools.get(name);
        if (p === undefined) pools.set(name, (p = { active: [], dropped: [] }));
        return p;
      };
      for (const t of res.data.activeTargets) pool(t.scrapePool).active.push(t);
      for (const t of res.data.droppedTargets ?? []) pool(t.scrapePool).dropped.push(t);
      if (pools.size === 0) {
        append(out, h('p', { class: 'empty' }, 'No scrape pools.'));
        return;
      }
      for (const [name, p] of [...pools].sort(([a], [b]) => a.localeCompare(b))) {
        const body = h('tbody');
        for (const t of p.active)
          append(body, h('tr', {}, labelList(t.discoveredLabels), labelList(t.labels)));
        for (const t of p.dropped)
          append(
            body,
            h(
              'tr',
              { class: 'dropped' },
              labelList(t.discoveredLabels),
              h('td', { class: 'labels' }, 'Dropped'),
            ),
          );
        append(
          out,
          h(
            'section',
            { class: 'pool' },
            h(
              'h2',
              {},
              `${name} (${p.active.length} / ${p.active.length + p.dropped.length} active targets)`,
            ),
            h(
              'table',
              { class: 'data' },
              h('thead', {}, h('tr', {}, h('th', {}, 'Discovered labels'), h('th', {}, 'Target labels'))),
              body,
            ),
          ),
        );
      }
    })
    .catch((e: unknown) => err.show('targets', e));
}
