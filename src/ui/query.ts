// The query page: any number of panels, each with an expression, a Table tab (instant query) and a Graph
// tab (range query drawn with uPlot). All panels' state lives in the URL as Prometheus's UI keeps it
// (?g0.expr=...&g0.tab=...&g1.expr=...), so /graph links from Prometheus reproduce the view.
import { ApiError, apiGet, type QueryData } from './api.js';
import { append, clear, h } from './dom.js';
import { createEditor } from './editor.js';
import { Graph } from './graph.js';
import { renderTable } from './table.js';
import { formatDuration, formatTime, parseDuration, parseTime } from './time.js';

type Tab = 'table' | 'graph';

export interface PanelState {
  expr: string;
  tab: Tab;
  range: string;
  end: string;
  /** The resolution as typed: empty for automatic, seconds ("15") or a duration ("1m"). */
  step: string;
  stacked: boolean;
}

function emptyState(): PanelState {
  return { expr: '', tab: 'table', range: '1h', end: '', step: '', stacked: false };
}

/** The panels named in the URL (g0.*, g1.*, ... in index order); one empty panel when there are none. */
export function readStates(params: URLSearchParams): PanelState[] {
  const indices = new Set<number>();
  for (const key of params.keys()) {
    const m = /^g(\d+)\./.exec(key);
    if (m !== null) indices.add(Number(m[1]));
  }
  if (indices.size === 0) return [emptyState()];
  return [...indices]
    .sort((a, b) => a - b)
    .map((i) => {
      const get = (name: string): string | null => params.get(`g${i}.${name}`);
      const tab = get('tab');
      const mode = get('display_mode');
      return {
        expr: get('expr') ?? '',
        // Prometheus 2 links said 0 for the graph and 1 for the table.
        tab: tab === 'graph' || tab === '0' ? 'graph' : 'table',
        range: get('range_input') ?? '1h',
        end: get('end_input') ?? get('moment_input') ?? '',
        step: get('step_input') ?? '',
        // Prometheus 3 says display_mode=stacked, Prometheus 2 stacked=1.
        stacked: mode !== null ? mode === 'stacked' : get('stacked') === '1',
      };
    });
}

export function stateParams(states: PanelState[]): URLSearchParams {
  const params = new URLSearchParams();
  states.forEach((s, i) => {
    params.set(`g${i}.expr`, s.expr);
    params.set(`g${i}.tab`, s.tab);
    params.set(`g${i}.display_mode`, s.stacked ? 'stacked' : 'lines');
    params.set(`g${i}.range_input`, s.range);
    if (s.end !== '') params.set(`g${i}.end_input`, s.end);
    if (s.step !== '') params.set(`g${i}.step_input`, s.step);
  });
  return params;
}

/** A typed resolution in milliseconds: plain numbers are seconds, as in Prometheus's step_input. */
function parseStep(text: string): number | undefined {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  return parseDuration(s);
}

interface Panel {
  state: PanelState;
  element: HTMLElement;
  destroy(): void;
}

export function renderQueryPage(root: HTMLElement): void {
  const panels: Panel[] = [];
  const list = h('div', { class: 'panels', id: 'panels' });
  const addButton = h('button', { type: 'button', id: 'add-panel' }, 'Add query');
  append(root, list, h('div', { class: 'add-row' }, addButton));

  function writeState(): void {
    window.history.replaceState(null, '', `?${stateParams(panels.map((p) => p.state)).toString()}`);
  }

  function renumber(): void {
    panels.forEach((p, i) => {
      p.element.id = `panel-${i}`;
      p.element.dataset.index = String(i);
    });
  }

  function addPanel(state: PanelState): Panel {
    const element = h('section', { class: 'panel' });
    list.appendChild(element);
    const panel: Panel = {
      state,
      element,
      destroy: () => undefined,
    };
    panels.push(panel);
    renumber();
    panel.destroy = buildPanel(element, state, writeState, () => {
      panel.destroy();
      element.remove();
      panels.splice(panels.indexOf(panel), 1);
      if (panels.length === 0) addPanel(emptyState());
      renumber();
      writeState();
    });
    return panel;
  }

  addButton.addEventListener('click', () => {
    addPanel(emptyState());
    writeState();
    panels[panels.length - 1].element.querySelector<HTMLElement>('.cm-content')?.focus();
  });

  for (const s of readStates(new URLSearchParams(window.location.search))) addPanel(s);
  writeState();
}

/** Builds one panel into `box`; returns its destructor. */
function buildPanel(
  box: HTMLElement,
  state: PanelState,
  saveState: () => void,
  onRemove: () => void,
): () => void {
  const editorBox = h('div', { class: 'editor expression' });
  const executeButton = h('button', { type: 'button', class: 'primary execute' }, 'Execute');
  const removeButton = h('button', { type: 'button', class: 'remove-panel', title: 'Remove query' }, '×');
  const tableTab = h('button', { type: 'button', class: 'tab tab-table', role: 'tab' }, 'Table');
  const graphTab = h('button', { type: 'button', class: 'tab tab-graph', role: 'tab' }, 'Graph');
  const endInput = h('input', {
    type: 'text',
    class: 'end-time',
    placeholder: 'now (UTC: YYYY-MM-DD HH:MM:SS)',
    size: '26',
  });
  endInput.value = state.end;
  const rangeInput = h('input', {
    type: 'text',
    class: 'range',
    size: '6',
    title: 'Range, e.g. 1h, 30m, 1d',
  });
  rangeInput.value = state.range;
  const rangeLess = h('button', { type: 'button', title: 'Shorter range' }, '−');
  const rangeMore = h('button', { type: 'button', title: 'Longer range' }, '+');
  const stepInput = h('input', {
    type: 'text',
    class: 'step',
    size: '8',
    placeholder: 'auto',
    title: 'Resolution: seconds or a duration (e.g. 15, 1m); empty for automatic',
  });
  stepInput.value = state.step;
  const stackedBox = h('input', { type: 'checkbox', class: 'stacked' });
  stackedBox.checked = state.stacked;
  const graphControls = h(
    'span',
    { class: 'range-controls' },
    'Range ',
    rangeLess,
    rangeInput,
    rangeMore,
    h('label', {}, ' Resolution ', stepInput),
    h('label', {}, stackedBox, ' Stacked'),
  );
  const status = h('div', { class: 'status' });
  const errorBox = h('pre', { class: 'error', hidden: '' });
  const output = h('div', { class: 'output' });
  const graph = new Graph(output);

  append(
    box,
    h('div', { class: 'expression-row' }, editorBox, executeButton, removeButton),
    h('div', { class: 'tabs', role: 'tablist' }, tableTab, graphTab),
    h('div', { class: 'controls' }, graphControls, h('label', {}, 'Time ', endInput)),
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
    graphControls.hidden = tab !== 'graph';
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
    state.step = stepInput.value.trim();
    state.stacked = stackedBox.checked;
    saveState();
    const mine = ++generation;
    errorBox.hidden = true;
    graph.destroy();
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
        let stepMs: number;
        if (state.step === '') {
          // About 250 points across the graph, at least one per second, as Prometheus's UI picks.
          stepMs = Math.max(1000, Math.ceil(rangeMs / 250 / 1000) * 1000);
        } else {
          const typed = parseStep(state.step);
          if (typed === undefined || typed <= 0) {
            showError(`cannot read the resolution ${JSON.stringify(state.step)} (e.g. 15, 1m)`, expr);
            return;
          }
          stepMs = typed;
        }
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
        graph.draw(res.data.result, { startMs, endMs, stepMs, stacked: state.stacked });
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
  removeButton.addEventListener('click', onRemove);
  rangeLess.addEventListener('click', () => changeRange(0.5));
  rangeMore.addEventListener('click', () => changeRange(2));
  stackedBox.addEventListener('change', () => void execute());
  for (const input of [endInput, rangeInput, stepInput]) {
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') void execute();
    });
  }

  selectTab(state.tab);
  if (state.expr !== '') void execute();
  editor.focus();
  return () => {
    generation++;
    graph.destroy();
    editor.destroy();
  };
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
