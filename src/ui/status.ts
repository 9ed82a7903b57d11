// The status pages Prometheus 3's UI has under its "Status" menu: /config, /flags, /status (runtime and
// build information) and /tsdb-status (head statistics and cardinality), each read from /api/v1/status/*.
import { apiGet } from './api.js';
import { append, clear, h } from './dom.js';

/** The page's error box, shown with the message when a request fails. */
export function errorBox(): { el: HTMLPreElement; show: (what: string, err: unknown) => void } {
  const el = h('pre', { class: 'error', hidden: '' });
  return {
    el,
    show: (what, err) => {
      el.hidden = false;
      el.textContent = `Error fetching ${what}: ${err instanceof Error ? err.message : String(err)}`;
    },
  };
}

/** A two-column table of name/value rows. */
export function kvTable(id: string, head: [string, string], rows: Array<[string, string]>): HTMLTableElement {
  return h(
    'table',
    { class: 'data', id },
    h('thead', {}, h('tr', {}, h('th', {}, head[0]), h('th', {}, head[1]))),
    h('tbody', {}, ...rows.map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, v)))),
  );
}

export function renderConfigPage(root: HTMLElement): void {
  const err = errorBox();
  const pre = h('pre', { id: 'config-yaml', class: 'config' });
  append(root, h('h1', {}, 'Configuration'), err.el, pre);
  apiGet<{ yaml: string }>('status/config')
    .then((res) => {
      pre.textContent = res.data.yaml;
    })
    .catch((e: unknown) => err.show('configuration', e));
}

export function renderFlagsPage(root: HTMLElement): void {
  const err = errorBox();
  const filter = h('input', {
    type: 'search',
    id: 'flags-filter',
    placeholder: 'Filter by flag name or value',
    size: '40',
  });
  const out = h('div', { id: 'flags' });
  append(root, h('h1', {}, 'Command-line flags'), h('div', { class: 'controls' }, filter), err.el, out);
  let flags: Array<[string, string]> = [];
  const render = (): void => {
    const f = filter.value.trim().toLowerCase();
    clear(out);
    append(
      out,
      kvTable(
        'flags-table',
        ['Flag', 'Value'],
        flags.filter(([k, v]) => f === '' || k.toLowerCase().includes(f) || v.toLowerCase().includes(f)),
      ),
    );
  };
  filter.addEventListener('input', render);
  apiGet<Record<string, string>>('status/flags')
    .then((res) => {
      flags = Object.entries(res.data).sort(([a], [b]) => a.localeCompare(b));
      render();
    })
    .catch((e: unknown) => err.show('flags', e));
}

const RUNTIME_NAMES: Record<string, string> = {
  startTime: 'Start time',
  CWD: 'Working directory',
  hostname: 'Hostname',
  serverTime: 'Server time',
  reloadConfigSuccess: 'Configuration reload',
  lastConfigTime: 'Last successful configuration reload',
  corruptionCount: 'WAL corruptions',
  goroutineCount: 'Active resources',
  GOMAXPROCS: 'Available parallelism',
  GOMEMLIMIT: 'Heap size limit',
  GOGC: 'GOGC',
  GODEBUG: 'GODEBUG',
  storageRetention: 'Storage retention',
};

const BUILD_NAMES: Record<string, string> = {
  version: 'Prometheus API version',
  promethiumVersion: 'Promethium version',
  revision: 'Revision',
  branch: 'Branch',
  buildUser: 'Build user',
  buildDate: 'Build date',
  nodeVersion: 'Node.js version',
};

function valueText(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'Successful' : 'Unsuccessful';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function renderStatusPage(root: HTMLElement): void {
  const err = errorBox();
  const runtime = h('div', { id: 'runtime-info' });
  const build = h('div', { id: 'build-info' });
  append(
    root,
    h('h1', {}, 'Runtime & build information'),
    err.el,
    h('h2', {}, 'Runtime information'),
    runtime,
    h('h2', {}, 'Build information'),
    build,
  );
  const fill = (
    el: HTMLElement,
    id: string,
    names: Record<string, string>,
    data: Record<string, unknown>,
  ): void => {
    append(
      el,
      kvTable(
        id,
        ['Name', 'Value'],
        Object.entries(data)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [names[k] ?? k, valueText(v)]),
      ),
    );
  };
  apiGet<Record<string, unknown>>('status/runtimeinfo')
    .then((res) => fill(runtime, 'runtime-table', RUNTIME_NAMES, res.data))
    .catch((e: unknown) => err.show('runtime information', e));
  apiGet<Record<string, unknown>>('status/buildinfo')
    // goVersion repeats nodeVersion (it is Prometheus's name for the runtime's version)
    .then((res) => fill(build, 'build-table', BUILD_NAMES, { ...res.data, goVersion: undefined }))
    .catch((e: unknown) => err.show('build information', e));
}

interface TSDBStatus {
  headStats: {
    numSeries: number;
    numLabelPairs: number;
    chunkCount: number;
    minTime: number;
    maxTime: number;
  };
  seriesCountByMetricName: Array<{ name: string; value: number }>;
  labelValueCountByLabelName: Array<{ name: string; value: number }>;
  memoryInBytesByLabelName: Array<{ name: string; value: number }>;
  seriesCountByLabelValuePair: Array<{ name: string; value: number }>;
}

function timeText(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? `${new Date(ms).toISOString()} (${ms})` : String(ms);
}

export function renderTsdbStatusPage(root: HTMLElement): void {
  const err = errorBox();
  const out = h('div', { id: 'tsdb-status' });
  append(root, h('h1', {}, 'TSDB status'), err.el, out);
  apiGet<TSDBStatus>('status/tsdb')
    .then((res) => {
      const d = res.data;
      const s = d.headStats;
      append(
        out,
        h('h2', {}, 'Head block statistics'),
        h(
          'table',
          { class: 'data', id: 'head-stats' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...[
                'Number of series',
                'Number of chunks',
                'Number of label pairs',
                'Current min time',
                'Current max time',
              ].map((c) => h('th', {}, c)),
            ),
          ),
          h(
            'tbody',
            {},
            h(
              'tr',
              {},
              ...[
                String(s.numSeries),
                String(s.chunkCount),
                String(s.numLabelPairs),
                timeText(s.minTime),
                timeText(s.maxTime),
              ].map((c) => h('td', {}, c)),
            ),
          ),
        ),
      );
      const tables: Array<[string, string, string, string, Array<{ name: string; value: number }>]> = [
        [
          'series-count-by-metric-name',
          'Top 10 series count by metric names',
          'Name',
          'Count',
          d.seriesCountByMetricName,
        ],
        [
          'label-value-count-by-label-name',
          'Top 10 label names with value count',
          'Name',
          'Count',
          d.labelValueCountByLabelName,
        ],
        [
          'memory-by-label-name',
          'Top 10 label names with high memory usage',
          'Name',
          'Bytes',
          d.memoryInBytesByLabelName,
        ],
        [
          'series-count-by-label-pair',
          'Top 10 series count by label value pairs',
          'Name',
          'Count',
          d.seriesCountByLabelValuePair,
        ],
      ];
      for (const [id, title, k, v, rows] of tables) {
        append(
          out,
          h('h2', {}, title),
          kvTable(
            id,
            [k, v],
            rows.map((r) => [r.name, String(r.value)]),
          ),
        );
      }
    })
    .catch((e: unknown) => err.show('TSDB status', e));
}

interface RemoteWriteQueue {
  name: string;
  url: string;
  protobufMessage: string;
  shards: number;
  desired: number;
  minShards: number;
  maxShards: number;
  pending: number;
  highestSentTimestampMs: number;
  highestQueuedTimestampMs: number;
  position?: { segment: number; offset: number };
  lastError?: { message: string; atMs: number };
}

/** The remote_write queues: where each sends, its shards, backlog, progress and last error. */
export function renderRemoteWritePage(root: HTMLElement): void {
  const err = errorBox();
  const out = h('div', { id: 'remote-write' });
  append(root, h('h1', {}, 'Remote write'), err.el, out);
  apiGet<{ queues: RemoteWriteQueue[] }>('status/remote_write')
    .then((res) => {
      const queues = res.data.queues;
      if (queues.length === 0) {
        append(out, h('p', { class: 'empty' }, 'No remote_write queues are configured'));
        return;
      }
      const body = h('tbody');
      for (const q of queues) {
        const behind = q.highestQueuedTimestampMs - q.highestSentTimestampMs;
        append(
          body,
          h(
            'tr',
            {},
            ...[
              q.name,
              q.url,
              q.protobufMessage,
              `${q.shards} (desired ${q.desired}, ${q.minShards}–${q.maxShards})`,
              String(q.pending),
              q.highestSentTimestampMs > 0
                ? new Date(q.highestSentTimestampMs).toISOString()
                : 'nothing sent yet',
              q.highestSentTimestampMs > 0 ? `${(behind / 1000).toFixed(1)} s` : '',
              q.position === undefined ? '' : `${q.position.segment}:${q.position.offset}`,
              q.lastError === undefined
                ? ''
                : `${new Date(q.lastError.atMs).toISOString()}: ${q.lastError.message}`,
            ].map((c) => h('td', {}, c)),
          ),
        );
      }
      append(
        out,
        h(
          'table',
          { class: 'data', id: 'remote-write-queues' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...[
                'Name',
                'URL',
                'Message',
                'Shards',
                'Pending samples',
                'Newest sample sent',
                'Behind',
                'WAL position',
                'Last error',
              ].map((c) => h('th', {}, c)),
            ),
          ),
          body,
        ),
      );
    })
    .catch((e: unknown) => err.show('remote write', e));
}
