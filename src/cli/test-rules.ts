// `promethium-tool test rules`: promtool's rule unit tests (cmd/promtool/unittest.go). Each test group
// loads its input series (promqltest notation), evaluates the rule groups every evaluation_interval from
// the start time with the server's own rule code, compares firing alerts at each alert_rule_test's
// eval_time and the result of each promql_expr_test, and reports failures in promtool's words.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { glob } from '../config/index.js';
import { createLogger } from '../log/logger.js';
import { formatDuration, parseDuration } from '../model/duration.js';
import { Labels } from '../model/labels.js';
import { goQuote } from '../model/goquote.js';
import { parseSeriesDesc } from '../promql/promqltest/script.js';
import { Group } from '../rules/group.js';
import { buildRules, loadRuleGroups } from '../rules/manager.js';
import { AlertingRule } from '../rules/rule.js';
import { parseRuleFile } from '../rules/rulefmt.js';
import { MemoryStorage } from '../storage/memory.js';
import { localRuleQuery } from './rules-wiring.js';
import type { CheckOutput } from './check-config.js';
import { goDuration } from './create-blocks.js';

export interface TestRulesOptions {
  /** --run: only test groups whose name matches one of these regexes. */
  run: string[];
  ignoreUnknownFields: boolean;
}

interface InputSeries {
  series: string;
  values: string;
}

interface TestGroupDef {
  interval?: string;
  input_series?: InputSeries[];
  alert_rule_test?: Array<{
    eval_time?: string;
    alertname?: string;
    exp_alerts?: Array<{ exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }>;
  }>;
  promql_expr_test?: Array<{
    expr: string;
    eval_time?: string;
    exp_samples?: Array<{ labels?: string; value?: number | string; histogram?: string }>;
  }>;
  external_labels?: Record<string, string>;
  external_url?: string;
  name?: string;
  start_timestamp?: string | number;
}

interface TestFile {
  rule_files?: string[];
  evaluation_interval?: string;
  group_eval_order?: string[];
  tests?: TestGroupDef[];
  fuzzy_compare?: boolean;
}

const FILE_KEYS = ['rule_files', 'evaluation_interval', 'group_eval_order', 'tests', 'fuzzy_compare'];
const GROUP_KEYS = [
  'interval',
  'input_series',
  'alert_rule_test',
  'promql_expr_test',
  'external_labels',
  'external_url',
  'name',
  'start_timestamp',
];

/** strconv.FormatFloat(v, 'E', -1, 64). */
function formatE(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const [m, e] = v.toExponential().split('e');
  const exp = Number(e);
  return `${m}E${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

function strictKeys(obj: unknown, keys: string[], type: string): void {
  if (obj === null || typeof obj !== 'object') return;
  for (const k of Object.keys(obj)) {
    if (!keys.includes(k)) throw new Error(`yaml: unmarshal errors:\n  field ${k} not found in type ${type}`);
  }
}

function parseStart(v: string | number | undefined): number {
  if (v === undefined || v === '') return 0;
  if (typeof v === 'number') return v * 1000;
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new Error(`cannot parse "${v}" to a valid timestamp`);
  return t;
}

/** A model.Duration field; YAML may have read `0` as a number. */
function dur(v: string | number | undefined, def: number): number {
  if (v === undefined || v === '') return def;
  return parseDuration(String(v));
}

/** Go's labels.Labels.String(): `{__name__="x", a="b"}`, names quoted only when not legacy names. */
function labelsString(ls: Labels): string {
  const parts: string[] = [];
  const p = ls.pairs;
  for (let i = 0; i < p.length; i += 2) {
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(p[i]) ? p[i] : goQuote(p[i]);
    parts.push(`${name}=${goQuote(p[i + 1])}`);
  }
  return `{${parts.join(', ')}}`;
}

interface LabelsAndAnnotations {
  labels: Labels;
  annotations: Labels;
}

function compareLabels(a: Labels, b: Labels): number {
  const x = a.pairs;
  const y = b.pairs;
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return x.length - y.length;
}

function laString(list: LabelsAndAnnotations[]): string {
  if (list.length === 0) return '[]';
  const one = (la: LabelsAndAnnotations): string =>
    indentLines(
      '\nLabels:' + labelsString(la.labels) + '\nAnnotations:' + labelsString(la.annotations),
      '  ',
    );
  let s = '[\n0:' + one(list[0]);
  list.slice(1).forEach((la, i) => (s += ',\n' + (i + 1) + ':' + one(la)));
  return s + '\n]';
}

function indentLines(lines: string, indent: string): string {
  return lines.split('\n').join('\n' + indent);
}

/** Runs one test file; returns its errors (promtool's texts), empty when it passes. */
async function runFile(
  file: string,
  o: TestRulesOptions,
  run: RegExp | undefined,
  io: CheckOutput,
): Promise<string[]> {
  let doc: TestFile;
  try {
    doc = (parseYaml(fs.readFileSync(file, 'utf8')) ?? {}) as TestFile;
    strictKeys(doc, FILE_KEYS, 'main.unitTestFile');
    for (const t of doc.tests ?? []) strictKeys(t, GROUP_KEYS, 'main.testGroup');
  } catch (err) {
    return [(err as Error).message];
  }
  const dir = path.dirname(file);
  const ruleFiles: string[] = [];
  for (const rf of doc.rule_files ?? []) {
    const pattern = rf !== '' && !path.isAbsolute(rf) ? path.join(dir, rf) : rf;
    const m = glob(pattern);
    if (m.length === 0) io.err(`  WARNING: no file match pattern ${pattern}`);
    ruleFiles.push(...m);
  }
  const evalInterval = dur(doc.evaluation_interval, 60_000);
  const order = new Map<string, number>();
  for (const [i, g] of (doc.group_eval_order ?? []).entries()) {
    if (order.has(g)) return [`group name repeated in evaluation order: ${g}`];
    order.set(g, i);
  }
  const errs: string[] = [];
  for (const [i, tg] of (doc.tests ?? []).entries()) {
    if (run !== undefined && !run.test(tg.name ?? '')) continue;
    const name = tg.name === undefined || tg.name === '' ? `unnamed#${i}` : tg.name;
    void name;
    errs.push(...(await runGroup(tg, evalInterval, ruleFiles, order, o, doc.fuzzy_compare === true)));
  }
  return errs;
}

async function runGroup(
  tg: TestGroupDef,
  evalInterval: number,
  ruleFiles: string[],
  order: Map<string, number>,
  o: TestRulesOptions,
  fuzzy: boolean,
): Promise<string[]> {
  const interval = dur(tg.interval, evalInterval);
  let mint: number;
  try {
    mint = parseStart(tg.start_timestamp);
  } catch (err) {
    return [(err as Error).message];
  }
  // input series: sample k at mint + k·interval, appended as evaluation reaches their time
  const pending: Array<{ labels: Labels; samples: Array<[number, number]>; next: number }> = [];
  for (const s of tg.input_series ?? []) {
    try {
      const desc = parseSeriesDesc(`${String(s.series)} ${String(s.values)}`);
      const samples: Array<[number, number]> = [];
      desc.values.forEach((v, k) => {
        if (v.kind === 'float') samples.push([mint + k * interval, v.v]);
      });
      pending.push({ labels: desc.labels, samples, next: 0 });
    } catch (err) {
      return [`load ${formatDuration(interval)}: ${(err as Error).message}`];
    }
  }
  const storage = new MemoryStorage();
  const feed = (until: number): void => {
    for (const p of pending) {
      const app = storage.appender();
      while (p.next < p.samples.length && p.samples[p.next][0] <= until) {
        const [t, v] = p.samples[p.next++];
        app.append(0, p.labels, t, v);
      }
      void app.commit();
    }
  };
  const query = localRuleQuery(storage, { lookbackDeltaMs: 5 * 60_000 });
  const loaded = loadRuleGroups(ruleFiles);
  if (o.ignoreUnknownFields) {
    // read again without the unknown-field check
    loaded.errors = [];
    loaded.groups = ruleFiles.flatMap((f) =>
      parseRuleFile(f, { ignoreUnknownFields: true }).groups.map((spec) => ({ file: f, spec })),
    );
    for (const f of ruleFiles) loaded.errors.push(...parseRuleFile(f, { ignoreUnknownFields: true }).errors);
  }
  if (loaded.errors.length > 0) return loaded.errors;
  const env = {
    appendable: storage,
    query,
    externalLabels: tg.external_labels ?? {},
    externalURL: tg.external_url ?? '',
    logger: createLogger({ level: 'error', format: 'logfmt', write: () => undefined }),
    notify: () => undefined,
    resendDelayMs: 60_000,
    outageToleranceMs: 3_600_000,
    forGracePeriodMs: 600_000,
  };
  const groups = loaded.groups
    .map(
      ({ file, spec }) =>
        new Group(
          {
            name: spec.name,
            file,
            intervalMs: spec.interval > 0 ? spec.interval : interval,
            queryOffsetMs: spec.queryOffset ?? 0,
            limit: spec.limit,
            rules: buildRules(spec, true),
            shouldRestore: false,
          },
          env,
        ),
    )
    .map((g, idx) => ({ g, idx }))
    .sort((a, b) => (order.get(a.g.name) ?? 0) - (order.get(b.g.name) ?? 0) || a.idx - b.idx)
    .map((x) => x.g);

  const alertTests = tg.alert_rule_test ?? [];
  for (const a of alertTests) {
    if (a.alertname === undefined || a.alertname === '') {
      const where = tg.name !== undefined && tg.name !== '' ? ` (in TestGroup ${tg.name})` : '';
      return [
        `an item under alert_rule_test misses required attribute alertname at eval_time ${a.eval_time ?? '0s'}${where}`,
      ];
    }
  }
  const evalTimes = [...new Set(alertTests.map((a) => dur(a.eval_time, 0)))].sort((a, b) => a - b);
  const maxEval = Math.max(
    0,
    ...alertTests.map((a) => dur(a.eval_time, 0)),
    ...(tg.promql_expr_test ?? []).map((p) => dur(p.eval_time, 0)),
  );
  const maxt = mint + maxEval;
  const eqFloat = (x: number, y: number): boolean =>
    x === y ||
    (Number.isNaN(x) && Number.isNaN(y)) ||
    (fuzzy && (nextAfter(x, -Infinity) === y || nextAfter(x, Infinity) === y));
  const testName = tg.name !== undefined && tg.name !== '' ? `    name: ${tg.name},\n` : '';
  const errs: string[] = [];
  let curr = 0;
  for (let ts = mint; ts <= maxt; ts += evalInterval) {
    feed(ts);
    const evalErrs: string[] = [];
    for (const g of groups) {
      await g.evalAt(ts);
      for (const r of g.rules) {
        if (r.lastError !== '')
          evalErrs.push(`    rule: ${r.name}, time: ${goDuration(ts)}, err: ${r.lastError}`);
      }
    }
    errs.push(...evalErrs);
    if (evalErrs.length > 0) return errs;
    while (
      curr < evalTimes.length &&
      ts - mint <= evalTimes[curr] &&
      evalTimes[curr] < ts + evalInterval - mint
    ) {
      const t = evalTimes[curr];
      const got = new Map<string, LabelsAndAnnotations[]>();
      for (const g of groups) {
        for (const r of g.rules) {
          if (!(r instanceof AlertingRule)) continue;
          const list = got.get(r.name) ?? [];
          for (const a of r.active.values()) {
            if (a.resolvedAt === 0 && a.state === 'firing')
              list.push({ labels: a.labels, annotations: Labels.fromRecord(a.annotations) });
          }
          got.set(r.name, list);
        }
      }
      for (const tc of alertTests.filter((a) => dur(a.eval_time, 0) === t)) {
        const gotAlerts = [...(got.get(tc.alertname!) ?? [])];
        const expAlerts = (tc.exp_alerts ?? []).map((a) => ({
          labels: Labels.fromRecord({ ...(a.exp_labels ?? {}), alertname: tc.alertname! }),
          annotations: Labels.fromRecord(a.exp_annotations ?? {}),
        }));
        const sortLA = (l: LabelsAndAnnotations[]): void => {
          l.sort((a, b) => compareLabels(a.labels, b.labels) || compareLabels(a.annotations, b.annotations));
        };
        sortLA(gotAlerts);
        sortLA(expAlerts);
        const same =
          gotAlerts.length === expAlerts.length &&
          gotAlerts.every(
            (g, k) => g.labels.equals(expAlerts[k].labels) && g.annotations.equals(expAlerts[k].annotations),
          );
        if (!same) {
          errs.push(
            `${testName}    alertname: ${tc.alertname}, time: ${formatDuration(t)}, \n        exp:${indentLines(laString(expAlerts), '            ')}, \n        got:${indentLines(laString(gotAlerts), '            ')}`,
          );
        }
      }
      curr++;
    }
  }
  feed(Infinity);
  for (const tc of tg.promql_expr_test ?? []) {
    const at = dur(tc.eval_time, 0);
    let got;
    try {
      got = await query(tc.expr, mint + at);
    } catch (err) {
      errs.push(
        `    expr: ${JSON.stringify(tc.expr)}, time: ${formatDuration(at)}, err: ${(err as Error).message}`,
      );
      continue;
    }
    const exp: Array<{ labels: Labels; value: number }> = [];
    let bad = false;
    for (const s of tc.exp_samples ?? []) {
      if (s.histogram !== undefined && s.histogram !== '') {
        errs.push(
          `    expr: ${JSON.stringify(tc.expr)}, time: ${formatDuration(at)}, err: native histograms are not supported yet`,
        );
        bad = true;
        break;
      }
      try {
        const labels =
          s.labels === undefined || s.labels === '' ? Labels.EMPTY : parseSeriesDesc(s.labels).labels;
        exp.push({ labels, value: typeof s.value === 'string' ? Number(s.value) : (s.value ?? 0) });
      } catch (err) {
        errs.push(
          `    expr: ${JSON.stringify(tc.expr)}, time: ${formatDuration(at)}, err: labels ${JSON.stringify(s.labels)}: ${(err as Error).message}`,
        );
        bad = true;
        break;
      }
    }
    if (bad) continue;
    const gotSamples = got.map((s) => ({ labels: s.labels, value: s.value }));
    exp.sort((a, b) => compareLabels(a.labels, b.labels));
    gotSamples.sort((a, b) => compareLabels(a.labels, b.labels));
    const same =
      exp.length === gotSamples.length &&
      exp.every((e, k) => e.labels.equals(gotSamples[k].labels) && eqFloat(e.value, gotSamples[k].value));
    if (!same) {
      const str = (l: typeof exp): string =>
        l.length === 0 ? 'nil' : l.map((s) => `${labelsString(s.labels)} ${formatE(s.value)}`).join(', ');
      errs.push(
        `    expr: ${JSON.stringify(tc.expr)}, time: ${formatDuration(at)},\n        exp: ${str(exp)}\n        got: ${str(gotSamples)}`,
      );
    }
  }
  return errs;
}

/** math.Nextafter. */
function nextAfter(x: number, toward: number): number {
  if (Number.isNaN(x) || Number.isNaN(toward)) return NaN;
  if (x === toward) return toward;
  if (x === 0) return toward > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  let bits = buf.getBigUint64(0);
  if (toward > x === x > 0) bits += 1n;
  else bits -= 1n;
  buf.setBigUint64(0, bits);
  return buf.getFloat64(0);
}

/** promtool test rules: 0 when every file passes, 1 otherwise. */
export async function testRuleFiles(
  files: readonly string[],
  o: TestRulesOptions,
  io: CheckOutput,
): Promise<number> {
  let failed = false;
  const run = o.run.length > 0 ? new RegExp(o.run.join('|')) : undefined;
  for (const f of files) {
    io.out(`Unit Testing:  ${f}`);
    const errs = await runFile(f, o, run, io);
    if (errs.length > 0) {
      io.err('  FAILED:');
      for (const e of errs) {
        io.err(e);
        io.out('');
      }
      failed = true;
    } else io.out('  SUCCESS');
    io.out('');
  }
  return failed ? 1 : 0;
}
