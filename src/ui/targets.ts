// The targets page: /api/v1/targets grouped by scrape pool, with health, last scrape, duration, error
// and labels, as Prometheus's /targets shows them.
import { apiGet, type Target, type TargetsData } from './api.js';
import { append, clear, h } from './dom.js';

export function renderTargetsPage(root: HTMLElement): void {
  const filter = h('input', {
    type: 'search',
    id: 'targets-filter',
    placeholder: 'Filter by endpoint or labels',
    size: '40',
  });
  const unhealthyOnly = h('input', { type: 'checkbox', id: 'unhealthy-only' });
  const out = h('div', { id: 'targets' });
  const errorBox = h('pre', { class: 'error', hidden: '' });
  append(
    root,
    h('h1', {}, 'Targets'),
    h('div', { class: 'controls' }, filter, h('label', {}, unhealthyOnly, ' Unhealthy only')),
    errorBox,
    out,
  );
  let targets: Target[] = [];
  const render = (): void =>
    renderPools(out, targets, filter.value.trim().toLowerCase(), unhealthyOnly.checked);
  filter.addEventListener('input', render);
  unhealthyOnly.addEventListener('change', render);
  apiGet<TargetsData>('targets', { state: 'active' })
    .then((res) => {
      targets = res.data.activeTargets;
      render();
    })
    .catch((err: unknown) => {
      errorBox.hidden = false;
      errorBox.textContent = `Error fetching targets: ${err instanceof Error ? err.message : String(err)}`;
    });
}

function renderPools(out: HTMLElement, targets: Target[], filter: string, unhealthyOnly: boolean): void {
  clear(out);
  const pools = new Map<string, Target[]>();
  for (const t of targets) {
    const list = pools.get(t.scrapePool) ?? [];
    list.push(t);
    pools.set(t.scrapePool, list);
  }
  if (pools.size === 0) {
    append(out, h('p', { class: 'empty' }, 'No targets.'));
    return;
  }
  for (const [pool, list] of [...pools].sort(([a], [b]) => a.localeCompare(b))) {
    const up = list.filter((t) => t.health === 'up').length;
    const shown = list.filter(
      (t) =>
        (!unhealthyOnly || t.health !== 'up') &&
        (filter === '' ||
          t.scrapeUrl.toLowerCase().includes(filter) ||
          Object.entries(t.labels).some(([k, v]) => `${k}="${v}"`.toLowerCase().includes(filter))),
    );
    if (shown.length === 0) continue;
    const body = h('tbody');
    for (const t of shown) {
      const labels = h('td', { class: 'labels' });
      for (const [k, v] of Object.entries(t.labels))
        append(labels, h('span', { class: 'badge' }, `${k}="${v}"`), ' ');
      append(
        body,
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: t.globalUrl || t.scrapeUrl }, t.scrapeUrl)),
          h('td', {}, h('span', { class: `health health-${t.health}` }, t.health.toUpperCase())),
          labels,
          h('td', {}, lastScrape(t.lastScrape)),
          h('td', {}, `${Number((t.lastScrapeDuration * 1000).toFixed(3))}ms`),
          h('td', { class: 'scrape-error' }, t.lastError),
        ),
      );
    }
    append(
      out,
      h(
        'section',
        { class: 'pool' },
        h('h2', {}, `${pool} (${up}/${list.length} up)`),
        h(
          'table',
          { class: 'data' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Endpoint', 'State', 'Labels', 'Last scrape', 'Scrape duration', 'Error'].map((c) =>
                h('th', {}, c),
              ),
            ),
          ),
          body,
        ),
      ),
    );
  }
}

function lastScrape(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t) || t <= 0) return 'never';
  const ago = Math.max(0, (Date.now() - t) / 1000);
  return `${ago < 60 ? ago.toFixed(1) + 's' : Math.round(ago / 60) + 'm'} ago`;
}
