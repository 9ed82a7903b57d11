// The query page: an expression, a Table tab (instant query) and a Graph tab (range query drawn with
// uPlot). The state lives in the URL as Prometheus's UI keeps it (?g0.expr=...&g0.tab=...).
import { ApiError, apiGet, type QueryData } from './api.js';
import { append, clear, h } from './dom.js';
import { createEditor } from './editor.js';
import { destroyGraph, drawGraph } from './graph.js';
import { renderTable } from './table.js';
import { formatDuration, formatTime, parseDuration, parseTime } from './time.js';

type Tab = 'table' | 'graph';

interface PanelState {
  expr: string;
  tab: Tab;
  range: string;
  end: string;
}

function readState(params: URLSearchParams): PanelState {
  const tab = params.get('g0.tab');
  return {
    expr: params.get('g0.expr') ?? '',
    // Prometheus 2 links said 0 for the graph and 1 for the table.
    tab: tab === 'graph' || tab === '0' ? 'graph' : 'table',
    range: params.get('g0.range_input') ?? '1h',
    end: params.get('g0.end_input') ?? params.get('g0.moment_input') ?? '',
  };
}

function writeState(s: PanelState): void {
  const params = new URLSearchParams();
  params.set('g0.expr', s.expr);
  params.set('g0.tab', s.tab);
  params.set('g0.range_input', s.range);
  if (s.end !== '') params.set('g0.end_input', s.end);
  window.history.replaceState(null, '', `?${params.toString()}`);
}

export function renderQueryPage(root: HTMLElement): void {
  const state = readState(new URLSearchParams(window.location.search));

  const editorBox = h('div', { class: 'editor', id: 'expression' });
  const executeButton = h('button', { type: 'button', id: 'execute', class: 'primary' }, 'Execute');
  const tableTab = h('button', { type: 'button', class: 'tab', id: 'tab-table', role: 'tab' }, 'Table');
  const graphTab = h('button', { type: 'button', class: 'tab', id: 'tab-graph', role: 'tab' }, 'Graph');
  const endInput = h('input', {
    type: 'text',
    id: 'end-time',
    placeholder: 'now (UTC: YYYY-MM-DD HH:MM:SS)',
    size: '26',
  });
  endInput.value = state.end;
  const rangeInput = h('input', { type: 'text', id: 'range', size: '6', title: 'Range, e.g. 1h, 30m, 1d' });
  rangeInput.value = state.range;
  const rangeLess = h('button', { type: 'button', title: 'Shorter range' }, '−');
  const rangeMore = h('button', { type: 'button', title: 'Longer range' }, '+');
  const rangeControls = h('span', { class: 'range-controls' }, 'Range ', rangeLess, rangeInput, rangeMore);
  const status = h('div', { class: 'status', id: 'status' });
  const errorBox = h('pre', { class: 'error', id: 'error', hidden: '' });
  const output = h('div', { class: 'output', id: 'output' });

  append(
    root,
    h('div', { class: 'expression-row' }, editorBox, executeButton),
    h('div', { class: 'tabs', role: 'tablist' }, tableTab, graphTab),
    h('div', { class: 'controls' }, rangeControls, h('label', {}, 'Time ', endInput)),
    errorBox,
    status,
    output,
  );

  const editor = createEditor(editorBox, state.expr, () => void execute());

  function selectTab(tab: Tab): void {
    state.tab = tab;
    tableTab.classList.toggle('active', tab === 'table');
    graphTab.classList.toggle('active', tab === 'graph');
    tableTab.setAttribute('aria-selected', String(tab === 'table'));
    graphTab.setAttribute('aria-selected', String(tab === 'graph'));
    rangeControls.hidden = tab !== 'graph';
  }

  function showError(message: string, expr: string): void {
    errorBox.hidden = false;
    clear(errorBox);
    append(errorBox, `Error executing query: ${message}`);
    // Parse errors carry "line:column: parse error" (after 'invalid parameter "query": '); point there.
    const m = /(?:^|: )(\d+):(\d+): parse error/.exec(message);
    if (m !== null) {
      const line = expr.split('\n')[Number(m[1]) - 1];
      if (line !== undefined) {
        const col = Math.max(0, Number(m[2]) - 1);
        append(errorBox, '\n\n', h('span', { class: 'error-expr' }, line), '\n', `${' '.repeat(col)}^`);
      }
    }
  }

  let generation = 0;
  async function execute(): Promise<void> {
    const expr = editor.value();
    state.expr = expr;
    state.range = rangeInput.value.trim();
    state.end = endInput.value.trim();
    writeState(state);
    const mine = ++generation;
    errorBox.hidden = true;
    destroyGraph();
    clear(output);
    clear(status);
    if (expr.trim() === '') return;
    const endParsed = parseTime(state.end);
    if (endParsed !== undefined && Number.isNaN(endParsed)) {
      showError(`cannot read the time ${JSON.stringify(state.end)}`, expr);
      return;
    }
    const endMs = endParsed ?? Date.now();
    const started = performance.now();
    try {
      if (state.tab === 'table') {
        const res = await apiGet<QueryData>('query', { query: expr, time: String(endMs / 1000) });
        if (mine !== generation) return;
        renderTable(output, res.data);
        append(status, statusText(started, res.data), ...notes(res.warnings, res.infos));
      } else {
        const rangeMs = parseDuration(state.range);
        if (rangeMs === undefined || rangeMs <= 0) {
          showError(`cannot read the range ${JSON.stringify(state.range)} (e.g. 1h, 30m, 1d)`, expr);
          return;
        }
        // About 250 points across the graph, at least one per second, as Prometheus's UI picks.
        const stepMs = Math.max(1000, Math.ceil(rangeMs / 250 / 1000) * 1000);
        const startMs = endMs - rangeMs;
        const res = await apiGet<QueryData>('query_range', {
          query: expr,
          start: String(startMs / 1000),
          end: String(endMs / 1000),
          step: String(stepMs / 1000),
        });
        if (mine !== generation) return;
        if (res.data.resultType !== 'matrix') {
          showError(`a range query returned ${res.data.resultType}, not a matrix`, expr);
          return;
        }
        drawGraph(output, res.data.result, startMs, endMs, stepMs);
        append(
          status,
          `${statusText(started, res.data)}, resolution ${formatDuration(stepMs)}, ${formatTime(startMs)} to ${formatTime(endMs)} UTC`,
          ...notes(res.warnings, res.infos),
        );
      }
    } catch (err) {
      if (mine !== generation) return;
      showError(err instanceof ApiError || err instanceof Error ? err.message : String(err), expr);
    }
  }

  function changeRange(factor: number): void {
    const current = parseDuration(rangeInput.value) ?? 3_600_000;
    rangeInput.value = formatDuration(Math.max(1000, Math.round(current * factor)));
    void execute();
  }

  tableTab.addEventListener('click', () => {
    selectTab('table');
    void execute();
  });
  graphTab.addEventListener('click', () => {
    selectTab('graph');
    void execute();
  });
  executeButton.addEventListener('click', () => void execute());
  rangeLess.addEventListener('click', () => changeRange(0.5));
  rangeMore.addEventListener('click', () => changeRange(2));
  for (const input of [endInput, rangeInput]) {
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') void execute();
    });
  }

  selectTab(state.tab);
  if (state.expr !== '') void execute();
  editor.focus();
}

function statusText(started: number, data: QueryData): string {
  const ms = Math.round(performance.now() - started);
  const count = data.resultType === 'vector' || data.resultType === 'matrix' ? data.result.length : 1;
  return `Load time: ${ms}ms, result series: ${count}`;
}

function notes(warnings: string[], infos: string[]): HTMLElement[] {
  return [
    ...warnings.map((w) => h('div', { class: 'warning' }, `Warning: ${w}`)),
    ...infos.map((i) => h('div', { class: 'info' }, `Info: ${i}`)),
  ];
}
