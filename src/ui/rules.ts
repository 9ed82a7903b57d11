// The rules and alerts pages: rule groups from /api/v1/rules (health, last evaluation, error) and the
// alerting rules with their active alerts, as Prometheus's /rules and /alerts show them.
import { apiGet } from './api.js';
import { append, h } from './dom.js';
import { errorBox } from './status.js';

interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  activeAt?: string;
  value: string;
}
interface Rule {
  type: 'alerting' | 'recording';
  name: string;
  query: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  state?: string;
  duration?: number;
  alerts?: Alert[] | null;
  health: string;
  lastError?: string;
  evaluationTime: number;
  lastEvaluation: string;
}
interface RuleGroup {
  name: string;
  file: string;
  interval: number;
  rules: Rule[];
  evaluationTime: number;
  lastEvaluation: string;
}

function ruleGroups(): Promise<RuleGroup[]> {
  return apiGet<{ groups: RuleGroup[] }>('rules').then((res) => res.data.groups);
}

function labelBadges(labels: Record<string, string> | undefined): HTMLElement {
  const el = h('div', { class: 'labels' });
  for (const [k, v] of Object.entries(labels ?? {}))
    append(el, h('span', { class: 'badge' }, `${k}="${v}"`), ' ');
  return el;
}

export function renderRulesPage(root: HTMLElement): void {
  const err = errorBox();
  const out = h('div', { id: 'rules' });
  append(root, h('h1', {}, 'Rules'), err.el, out);
  ruleGroups()
    .then((groups) => {
      if (groups.length === 0) {
        append(out, h('p', { class: 'empty' }, 'No rules'));
        return;
      }
      for (const g of groups) {
        const body = h('tbody');
        for (const r of g.rules) {
          append(
            body,
            h(
              'tr',
              {},
              h(
                'td',
                {},
                h('div', { class: 'rule-name' }, `${r.type === 'alerting' ? 'alert' : 'record'}: ${r.name}`),
                h('pre', { class: 'rule-query' }, r.query),
                labelBadges(r.labels),
              ),
              h(
                'td',
                {},
                h(
                  'span',
                  {
                    class: `health health-${r.health === 'ok' ? 'up' : r.health === 'err' ? 'down' : 'unknown'}`,
                  },
                  r.health.toUpperCase(),
                ),
              ),
              h('td', {}, r.lastEvaluation),
              h('td', {}, `${Number((r.evaluationTime * 1000).toFixed(3))}ms`),
              h('td', { class: 'scrape-error' }, r.lastError ?? ''),
            ),
          );
        }
        append(
          out,
          h(
            'section',
            { class: 'pool' },
            h('h2', {}, `${g.name} (${g.file}, every ${g.interval}s)`),
            h(
              'table',
              { class: 'data' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ...['Rule', 'State', 'Last evaluation', 'Evaluation time', 'Error'].map((c) =>
                    h('th', {}, c),
                  ),
                ),
              ),
              body,
            ),
          ),
        );
      }
    })
    .catch((e: unknown) => err.show('rules', e));
}

/**
 * The alerts page as Prometheus's: the count of alerting rules in each state (inactive, pending,
 * firing) with a filter by state, then the rules by file and group, each with its active alerts,
 * their labels, annotations, state, start and value.
 */
export function renderAlertsPage(root: HTMLElement): void {
  const err = errorBox();
  const out = h('div', { id: 'alerts' });
  append(root, h('h1', {}, 'Alerts'), err.el, out);
  ruleGroups()
    .then((groups) => {
      const alerting = groups
        .map((g) => ({ g, rules: g.rules.filter((r) => r.type === 'alerting') }))
        .filter((x) => x.rules.length > 0);
      if (alerting.length === 0) {
        append(out, h('p', { class: 'empty' }, 'No alerts'));
        return;
      }
      const states = ['inactive', 'pending', 'firing'] as const;
      const counts = { inactive: 0, pending: 0, firing: 0 };
      for (const { rules } of alerting)
        for (const r of rules) counts[(r.state ?? 'inactive') as keyof typeof counts]++;
      const shown = new Set<string>(states);
      const rows: Array<{ state: string; el: HTMLElement }> = [];
      const filter = h('div', { class: 'state-filter' });
      for (const st of states) {
        const box = h('input', {
          type: 'checkbox',
          checked: 'checked',
          'data-state': st,
        }) as HTMLInputElement;
        box.addEventListener('change', () => {
          if (box.checked) shown.add(st);
          else shown.delete(st);
          for (const r of rows) r.el.hidden = !shown.has(r.state);
        });
        append(
          filter,
          h(
            'label',
            { class: `state state-${st}` },
            box,
            ` ${st[0].toUpperCase()}${st.slice(1)} (${counts[st]})`,
          ),
          ' ',
        );
      }
      append(out, filter);
      for (const { g, rules } of alerting) {
        const section = h('section', { class: 'pool' }, h('h2', {}, `${g.file} > ${g.name}`));
        for (const r of rules) {
          const alerts = r.alerts ?? [];
          const body = h('tbody');
          for (const a of alerts)
            append(
              body,
              h(
                'tr',
                {},
                h('td', {}, labelBadges(a.labels)),
                h('td', {}, a.state.toUpperCase()),
                h('td', {}, a.activeAt ?? ''),
                h('td', {}, a.value),
                h(
                  'td',
                  {},
                  ...Object.entries(a.annotations ?? {}).map(([k, v]) =>
                    h('div', { class: 'annotation' }, `${k}: ${v}`),
                  ),
                ),
              ),
            );
          const state = r.state ?? 'inactive';
          const details = h(
            'details',
            { class: `alert-rule state-${state}`, 'data-state': state },
            h('summary', {}, `${r.name} (${state.toUpperCase()}, ${alerts.length} active)`),
            h('pre', { class: 'rule-query' }, r.query),
            labelBadges(r.labels),
            alerts.length === 0
              ? null
              : h(
                  'table',
                  { class: 'data' },
                  h(
                    'thead',
                    {},
                    h(
                      'tr',
                      {},
                      ...['Labels', 'State', 'Active since', 'Value', 'Annotations'].map((c) =>
                        h('th', {}, c),
                      ),
                    ),
                  ),
                  body,
                ),
          );
          rows.push({ state, el: details });
          append(section, details);
        }
        append(out, section);
      }
    })
    .catch((e: unknown) => err.show('alerts', e));
}
