// The Table tab: one row per series with its labels and value (or values, for a range selector).
import type { QueryData } from './api.js';
import { append, clear, h, seriesElement } from './dom.js';

export function renderTable(out: HTMLElement, data: QueryData): void {
  clear(out);
  const body = h('tbody');
  const table = h('table', { class: 'data result-table' }, body);
  switch (data.resultType) {
    case 'vector':
      if (data.result.length === 0) return append(out, h('p', { class: 'empty' }, 'Empty query result'));
      for (const s of data.result) {
        const value =
          s.value !== undefined ? s.value[1] : s.histogram !== undefined ? histogramText(s.histogram[1]) : '';
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

function histogramText(hist: { count: string; sum: string }): string {
  return `histogram: count ${hist.count}, sum ${hist.sum}`;
}
