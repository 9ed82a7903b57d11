// The Graph tab: a range query's series drawn with uPlot on the query's own step grid, with a legend
// and a hover read-out built from text nodes (uPlot's built-in legend is off). Each query panel owns
// one Graph; the chart follows its box's width as the window resizes.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MatrixSeries } from './api.js';
import { append, clear, h, seriesText } from './dom.js';
import { formatTime } from './time.js';

const COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

const HEIGHT = 400;

export interface GraphOptions {
  startMs: number;
  endMs: number;
  stepMs: number;
  stacked: boolean;
}

/** Each series' values on the step grid, null where there is no (finite) sample. */
function gridColumns(
  result: MatrixSeries[],
  o: GraphOptions,
): { xs: number[]; columns: Array<Array<number | null>> } {
  const points = Math.floor((o.endMs - o.startMs) / o.stepMs) + 1;
  const xs = new Array<number>(points);
  for (let i = 0; i < points; i++) xs[i] = (o.startMs + i * o.stepMs) / 1000;
  const columns = result.map((s) => {
    const col = new Array<number | null>(points).fill(null);
    // a native histogram series is drawn as its count
    const pts: Array<[number, string]> = [
      ...(s.values ?? []),
      ...(s.histograms ?? []).map(([t, hist]): [number, string] => [t, hist.count]),
    ];
    for (const [t, v] of pts) {
      const i = Math.round((t * 1000 - o.startMs) / o.stepMs);
      const n = Number(v);
      // Infinities and NaN cannot be drawn; they leave a gap, as in Prometheus's graph.
      if (i >= 0 && i < points && Number.isFinite(n)) col[i] = n;
    }
    return col;
  });
  return { xs, columns };
}

/** Running sums across the series at each point; a missing sample stays a gap and adds nothing. */
function stack(columns: Array<Array<number | null>>): Array<Array<number | null>> {
  if (columns.length === 0) return columns;
  const sums = new Array<number>(columns[0].length).fill(0);
  return columns.map((col) =>
    col.map((v, i) => {
      if (v === null) return null;
      sums[i] += v;
      return sums[i];
    }),
  );
}

/**
 * The least distance between x ticks, in CSS pixels: more than the widest label in the axis's 12 px
 * font ("2015-07-01" below a time; "20:10:15.500" only over ranges of seconds), so labels never
 * overlap at any width or range.
 */
function xTickSpace(_u: uPlot, _axis: number, min: number, max: number): number {
  return max - min <= 10 ? 100 : 80;
}

/** Tick steps in seconds to choose from (uPlot's own list lacks 2 m, 20 m, 2 h, ...). */
const X_TICK_STEPS = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1200,
  1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 1209600, 2592000, 7776000, 31536000,
];

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * X tick labels in UTC, 24-hour: dates alone when ticks are days apart; otherwise times to the
 * precision of the tick step, with the date below the first tick and below each tick of a new day.
 */
function xTickLabels(_u: uPlot, splits: number[], _axis: number, _space: number, incr: number): string[] {
  let lastDay = '';
  return splits.map((s) => {
    const d = new Date(s * 1000);
    const day = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
    if (incr >= 86_400) return day;
    let time = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
    if (incr < 60) time += `:${pad2(d.getUTCSeconds())}`;
    if (incr < 1) time += `.${String(d.getUTCMilliseconds()).padStart(3, '0')}`;
    const newDay = day !== lastDay;
    lastDay = day;
    return newDay ? `${time}\n${day}` : time;
  });
}

export class Graph {
  private plot: uPlot | undefined;
  private observer: ResizeObserver | undefined;

  constructor(private readonly out: HTMLElement) {}

  /** Releases the drawn chart (its resize and mouse listeners) before the output is reused. */
  destroy(): void {
    this.observer?.disconnect();
    this.observer = undefined;
    this.plot?.destroy();
    this.plot = undefined;
  }

  draw(result: MatrixSeries[], o: GraphOptions): void {
    this.destroy();
    clear(this.out);
    if (result.length === 0) {
      append(this.out, h('p', { class: 'empty' }, 'Empty query result'));
      return;
    }
    const { xs, columns } = gridColumns(result, o);
    const drawn = o.stacked ? stack(columns) : columns;
    // histogram series are drawn by their count, and their legend says so
    const labels = result.map(
      (s) => seriesText(s.metric) + ((s.histograms?.length ?? 0) > 0 ? ' (histogram count)' : ''),
    );
    const chartBox = h('div', { class: 'chart graph' });
    const hover = h('div', { class: 'hover' });
    const legend = h('ul', { class: 'legend' });
    append(this.out, chartBox, hover, legend);

    const showHover = (idx: number | null | undefined): void => {
      clear(hover);
      if (idx === null || idx === undefined || xs[idx] === undefined) return;
      append(hover, h('div', { class: 'hover-time' }, `${formatTime(xs[idx] * 1000)} UTC`));
      columns.forEach((col, i) => {
        const v = col[idx];
        if (v === null) return;
        append(
          hover,
          h(
            'div',
            { class: 'hover-series' },
            h('span', { class: 'swatch', style: `background:${COLORS[i % COLORS.length]}` }),
            h('span', { class: 'hover-label' }, labels[i]),
            ': ',
            h('span', { class: 'hover-value' }, String(v)),
          ),
        );
      });
    };

    const width = (): number => Math.max(300, this.out.clientWidth || 800);
    this.plot = new uPlot(
      {
        width: width(),
        height: HEIGHT,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        series: [
          {},
          ...result.map((_, i) => {
            const color = COLORS[i % COLORS.length];
            return {
              label: labels[i],
              stroke: color,
              fill: o.stacked ? `${color}40` : undefined,
              width: 1.5,
              spanGaps: false,
              points: { show: false },
            };
          }),
        ],
        // Stacked areas: each series fills down to the one below it.
        bands: o.stacked
          ? result.slice(1).map((_, i) => ({ series: [i + 2, i + 1] as [number, number] }))
          : [],
        // Times in UTC, as the hover read-out and the status line show them.
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        axes: [{ space: xTickSpace, incrs: X_TICK_STEPS, values: xTickLabels }, { size: 70 }],
        hooks: { setCursor: [(u) => showHover(u.cursor.idx)] },
      },
      [xs, ...drawn] as uPlot.AlignedData,
      chartBox,
    );
    // The instance, for inspection from the browser's console (and the browser test's tick checks).
    (chartBox as HTMLElement & { uplot?: uPlot }).uplot = this.plot;
    this.out.dataset.stacked = String(o.stacked);
    let lastWidth = width();
    this.observer = new ResizeObserver(() => {
      const w = width();
      if (w !== lastWidth && this.plot !== undefined) {
        lastWidth = w;
        this.plot.setSize({ width: w, height: HEIGHT });
      }
    });
    this.observer.observe(this.out);
    labels.forEach((label, i) => {
      append(
        legend,
        h(
          'li',
          {},
          h('span', { class: 'swatch', style: `background:${COLORS[i % COLORS.length]}` }),
          h('span', { class: 'legend-label' }, label),
        ),
      );
    });
  }
}
