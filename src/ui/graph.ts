// The Graph tab: a range query's series drawn with uPlot on the query's own step grid, with a legend
// built from text nodes (uPlot's built-in legend is off).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MatrixSeries } from './api.js';
import { append, clear, h, seriesText } from './dom.js';

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

let current: uPlot | undefined;

/** Releases the drawn chart (its resize and mouse listeners) before the output is reused. */
export function destroyGraph(): void {
  current?.destroy();
  current = undefined;
}

export function drawGraph(
  out: HTMLElement,
  result: MatrixSeries[],
  startMs: number,
  endMs: number,
  stepMs: number,
): void {
  current?.destroy();
  current = undefined;
  clear(out);
  if (result.length === 0) {
    append(out, h('p', { class: 'empty' }, 'Empty query result'));
    return;
  }
  const points = Math.floor((endMs - startMs) / stepMs) + 1;
  const xs = new Array<number>(points);
  for (let i = 0; i < points; i++) xs[i] = (startMs + i * stepMs) / 1000;
  const columns: Array<Array<number | null>> = result.map((s) => {
    const col = new Array<number | null>(points).fill(null);
    for (const [t, v] of s.values ?? []) {
      const i = Math.round((t * 1000 - startMs) / stepMs);
      const n = Number(v);
      // Infinities and NaN cannot be drawn; they leave a gap, as in Prometheus's graph.
      if (i >= 0 && i < points && Number.isFinite(n)) col[i] = n;
    }
    return col;
  });
  const chartBox = h('div', { class: 'chart', id: 'graph' });
  const legend = h('ul', { class: 'legend', id: 'legend' });
  append(out, chartBox, legend);
  const width = Math.max(300, out.clientWidth || 800);
  current = new uPlot(
    {
      width,
      height: 400,
      legend: { show: false },
      scales: { x: { time: true } },
      series: [
        {},
        ...result.map((s, i) => ({
          label: seriesText(s.metric),
          stroke: COLORS[i % COLORS.length],
          width: 1.5,
          spanGaps: false,
          points: { show: false },
        })),
      ],
      axes: [{}, { size: 70 }],
    },
    [xs, ...columns] as uPlot.AlignedData,
    chartBox,
  );
  result.forEach((s, i) => {
    append(
      legend,
      h(
        'li',
        {},
        h('span', { class: 'swatch', style: `background:${COLORS[i % COLORS.length]}` }),
        h('span', { class: 'legend-label' }, seriesText(s.metric)),
      ),
    );
  });
}
