// DOM building without HTML strings: every text from the API goes in as a text node (textContent), never
// through innerHTML, so label values and error messages cannot become markup.
export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** `name{a="x", b="y"}` as text, the way Prometheus's UI prints a series. */
export function seriesText(metric: Record<string, string>): string {
  const name = metric['__name__'] ?? '';
  const labels = Object.entries(metric)
    .filter(([k]) => k !== '__name__')
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return labels.length === 0 && name !== '' ? name : `${name}{${labels.join(', ')}}`;
}

/** A series as elements: the name, then label names and values in their own spans. */
export function seriesElement(metric: Record<string, string>): HTMLElement {
  const el = h('span', { class: 'series' });
  const name = metric['__name__'];
  if (name !== undefined) append(el, h('span', { class: 'metric-name' }, name));
  const entries = Object.entries(metric).filter(([k]) => k !== '__name__');
  if (entries.length === 0 && name !== undefined) return el;
  append(el, '{');
  entries.forEach(([k, v], i) => {
    if (i > 0) append(el, ', ');
    append(
      el,
      h('span', { class: 'label-name' }, k),
      '=',
      h('span', { class: 'label-value' }, JSON.stringify(v)),
    );
  });
  append(el, '}');
  return el;
}
