// /api/v1/rules and /api/v1/alerts in Prometheus's shapes. The rule manager implements RulesSource;
// until rules are evaluated there are no groups.
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Matcher } from '../../../model/matcher.js';
import { formatGoFloat } from '../../../model/exposition/writer.js';
import { parseMetricSelector } from '../../../promql/parser/index.js';
import { formValues, queryValues } from '../../request-form.js';
import { parseGoBool } from './admin.js';
import { sendError, sendSuccess } from './envelope.js';
import { goTime } from './timestamps.js';

export type RuleHealth = 'ok' | 'err' | 'unknown';

export interface AlertView {
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt?: Date;
  keepFiringSince?: Date;
  value: number;
}

interface RuleCommon {
  name: string;
  /** The expression as PromQL text. */
  query: string;
  labels: Readonly<Record<string, string>>;
  health: RuleHealth;
  /** "" or undefined when the last evaluation succeeded. */
  lastError?: string;
  /** Seconds. */
  evaluationTime: number;
  lastEvaluation?: Date;
}

export interface AlertingRuleView extends RuleCommon {
  type: 'alerting';
  state: 'pending' | 'firing' | 'inactive';
  /** `for`, seconds. */
  duration: number;
  /** `keep_firing_for`, seconds. */
  keepFiringFor: number;
  annotations: Readonly<Record<string, string>>;
  alerts: readonly AlertView[];
}

export interface RecordingRuleView extends RuleCommon {
  type: 'recording';
}

export type RuleView = AlertingRuleView | RecordingRuleView;

export interface RuleGroupView {
  name: string;
  file: string;
  /** Seconds. */
  interval: number;
  limit: number;
  /** Seconds. */
  evaluationTime: number;
  lastEvaluation?: Date;
  rules: readonly RuleView[];
}

/** What the rule manager exposes to the API (Prometheus's RulesRetriever). */
export interface RulesSource {
  ruleGroups(): readonly RuleGroupView[];
}

export const NO_RULES: RulesSource = { ruleGroups: () => [] };

function alertJSON(a: AlertView): Record<string, unknown> {
  const out: Record<string, unknown> = { labels: a.labels, annotations: a.annotations, state: a.state };
  if (a.activeAt !== undefined) out.activeAt = goTime(a.activeAt);
  if (a.keepFiringSince !== undefined) out.keepFiringSince = goTime(a.keepFiringSince);
  // strconv.FormatFloat(v, 'e', -1, 64), as Prometheus writes alert values.
  out.value = formatGoFloat(a.value, 'e');
  return out;
}

/** The page token of a group, as Prometheus derives it (SHA-1 of file and name). */
function groupToken(g: RuleGroupView): string {
  return crypto.createHash('sha1').update(`${g.file};${g.name}`).digest('hex');
}

export function registerRulesRoutes(app: FastifyInstance, source: RulesSource): void {
  app.get('/api/v1/alerts', (_req, reply) => {
    const alerts: unknown[] = [];
    for (const g of source.ruleGroups())
      for (const r of g.rules) if (r.type === 'alerting') for (const a of r.alerts) alerts.push(alertJSON(a));
    return sendSuccess(reply, { alerts });
  });

  app.get('/api/v1/rules', (req, reply) => {
    const form = formValues(req);
    const query = queryValues(req);
    const names = new Set(form.getAll('rule_name[]'));
    const groupsWanted = new Set(form.getAll('rule_group[]'));
    const files = new Set(form.getAll('file[]'));
    const matcherSets: Matcher[][] = [];
    for (const s of form.getAll('match[]')) {
      try {
        matcherSets.push(parseMetricSelector(s));
      } catch (err) {
        return sendError(reply, 'bad_data', (err as Error).message);
      }
    }
    const typ = (query.get('type') ?? '').toLowerCase();
    if (typ !== '' && typ !== 'alert' && typ !== 'record')
      return sendError(
        reply,
        'bad_data',
        `invalid parameter "type": not supported value ${JSON.stringify(typ)}`,
      );
    const returnAlerts = typ === '' || typ === 'alert';
    const returnRecording = typ === '' || typ === 'record';

    const rawExclude = (query.get('exclude_alerts') ?? '').toLowerCase();
    let excludeAlerts = false;
    if (rawExclude !== '') {
      const b = parseGoBool(rawExclude);
      if (b === undefined)
        return sendError(
          reply,
          'bad_data',
          `invalid parameter "exclude_alerts": error converting exclude_alerts: strconv.ParseBool: parsing ${JSON.stringify(rawExclude)}: invalid syntax`,
        );
      excludeAlerts = b;
    }

    const rawLimit = query.get('group_limit') ?? '';
    const nextToken = query.get('group_next_token') ?? '';
    if (nextToken !== '' && rawLimit === '')
      return sendError(
        reply,
        'bad_data',
        'invalid parameter "group_next_token": group_limit needs to be present in order to paginate over the groups',
      );
    let maxGroups = -1;
    if (rawLimit !== '') {
      if (!/^[+-]?\d+$/.test(rawLimit) || Math.abs(Number(rawLimit)) > 2 ** 31 - 1)
        return sendError(
          reply,
          'bad_data',
          `invalid parameter "group_limit": group_limit needs to be a valid number: strconv.ParseInt: parsing ${JSON.stringify(rawLimit)}: invalid syntax`,
        );
      maxGroups = Number(rawLimit);
      if (maxGroups <= 0)
        return sendError(
          reply,
          'bad_data',
          'invalid parameter "group_limit": group_limit needs to be greater than 0',
        );
    }

    const groups: unknown[] = [];
    let groupNextToken: string | undefined;
    let foundToken = false;
    for (const g of source.ruleGroups()) {
      if (maxGroups > 0 && nextToken !== '' && !foundToken) {
        if (nextToken !== groupToken(g)) continue;
        foundToken = true;
      }
      if (groupsWanted.size > 0 && !groupsWanted.has(g.name)) continue;
      if (files.size > 0 && !files.has(g.file)) continue;
      if (maxGroups > 0 && groups.length === maxGroups) {
        // A full page and at least one group left: the client continues from this one.
        groupNextToken = groupToken(g);
        break;
      }
      const rules: unknown[] = [];
      for (const r of g.rules) {
        if (names.size > 0 && !names.has(r.name)) continue;
        if (
          matcherSets.length > 0 &&
          !matcherSets.some((ms) => ms.every((m) => m.matches(r.labels[m.name] ?? '')))
        )
          continue;
        const lastError = r.lastError === undefined || r.lastError === '' ? {} : { lastError: r.lastError };
        if (r.type === 'alerting') {
          if (!returnAlerts) continue;
          rules.push({
            state: r.state,
            name: r.name,
            query: r.query,
            duration: r.duration,
            keepFiringFor: r.keepFiringFor,
            labels: r.labels,
            annotations: r.annotations,
            alerts: excludeAlerts ? null : r.alerts.map(alertJSON),
            health: r.health,
            ...lastError,
            evaluationTime: r.evaluationTime,
            lastEvaluation: goTime(r.lastEvaluation),
            type: 'alerting',
          });
        } else {
          if (!returnRecording) continue;
          rules.push({
            name: r.name,
            query: r.query,
            ...(Object.keys(r.labels).length > 0 ? { labels: r.labels } : {}),
            health: r.health,
            ...lastError,
            evaluationTime: r.evaluationTime,
            lastEvaluation: goTime(r.lastEvaluation),
            type: 'recording',
          });
        }
      }
      // A group whose rules were all filtered out is left out, as in Prometheus.
      if (rules.length === 0) continue;
      groups.push({
        name: g.name,
        file: g.file,
        rules,
        interval: g.interval,
        limit: g.limit,
        evaluationTime: g.evaluationTime,
        lastEvaluation: goTime(g.lastEvaluation),
      });
    }
    if (maxGroups > 0 && nextToken !== '' && !foundToken)
      return sendError(
        reply,
        'bad_data',
        `invalid parameter "group_next_token": invalid group_next_token '${nextToken}'. were rule groups changed?`,
      );
    return sendSuccess(reply, groupNextToken === undefined ? { groups } : { groups, groupNextToken });
  });
}
