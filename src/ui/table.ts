// The Table tab: one row per series with its labels and value (or values, for a range selector).
import type { Histogram, QueryData } from './api.js';
import { append, clear, h, seriesElement } from './dom.js';

export function renderTable(out: HTMLElement, data: QueryData): void {
  clear(out);
  const body = h('tbody');
  const table = h('table', { class: 'data result-table' }, body);
  switch (data.resultType) {
    case 'vector':
      if (data.result.length === 0) return append(out, h('p', { class: 'empty' }, 'Empty query result'));
      for (const s of data.result) {
        const value: Node | string =
          s.value !== undefined ? s.value[1] : s.histogram !== undefined ? histogramCell(s.histogram[1]) : '';
        append(body, h('tr', {}, h('td', {}, seriesElement(s.metric)), h('td', { class: 'value' }, value)));
      }
      break;
    case 'matrix':
      if (data.result.length === 0) return append(out, h('p', { class: 'empty' }, 'Empty query result'));
      for (const s of data.result) {
        const lines = [
          ...(s.values ?? []).map(([t, v]) => `${v} @${t}`),
          ...(s.histograms ?? []).map(([t, hist]) => `${histogramText(hist)} @${t}`),
        ];
        append(
          body,
          h('tr', {}, h('td', {}, seriesElement(s.metric)), h('td', { class: 'value' }, lines.join('\n'))),
        );
      }
      break;
    case 'scalar':
    case 'string':
      append(body, h('tr', {}, h('td', {}, data.resultType), h('td', { class: 'value' }, data.result[1])));
      break;
  }
  append(out, table);
}

function histogramText(hist: Histogram): string {
  return `histogram: count ${hist.count}, sum ${hist.sum}`;
}

const OPEN = ['(', '[', '(', '['];
const CLOSE = [']', ')', ')', ']'];

/**
 * A native histogram as Prometheus's table shows one: count and sum, then each populated bucket's
 * range (its boundary rule's brackets) with its count and a bar scaled to the largest count.
 */
function histogramCell(hist: Histogram): HTMLElement {
  const buckets = hist.buckets ?? [];
  const max = Math.max(0, ...buckets.map((b) => Number(b[3])));
  const rows = buckets.map(([rule, lower, upper, count]) =>
    h(
      'tr',
      { class: 'histogram-bucket' },
      h('td', { class: 'bucket-range' }, `${OPEN[rule] ?? '('}${lower}, ${upper}${CLOSE[rule] ?? ']'}`),
      h('td', { class: 'bucket-count' }, count),
      h(
        'td',
        { class: 'bucket-bar' },
        h('div', {
          class: 'bar',
          style: `width:${max > 0 ? Math.max(1, Math.round((Number(count) / max) * 200)) : 0}px`,
        }),
      ),
    ),
  );
  return h(
    'div',
    { class: 'histogram' },
    h('div', { class: 'histogram-summary' }, `count ${hist.count}, sum ${hist.sum}`),
    h(
      'table',
      { class: 'histogram-buckets' },
      h('thead', {}, h('tr', {}, h('th', {}, 'bucket'), h('th', {}, 'count'), h('th', {}, ''))),
      h('tbody', {}, ...rows),
    ),
  );
}
