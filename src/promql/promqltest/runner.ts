// Runs promqltest scripts as Prometheus's promqltest does: a fresh store per `clear`, every instant eval
// also checked with `@` pinned to other evaluation times and in range mode (the middle of a 3-step
// range). Start timestamps are not supported: an eval involving them fails with that reason (never
// skipped), so the pass count stays honest.
import { validateHistogram, type FloatHistogram } from '../../model/histogram.js';
import { ClassicHistogramBuilder, classicHistogramSuffix, nhcbLabels } from '../../model/nhcb.js';
import { FLOAT_OK, floatStatus, parseGoFloat } from '../../model/exposition/parser-common.js';
import { histogramOfItem } from './histogram-notation.js';
import { readFileSync } from 'node:fs';
import { Labels } from '../../model/labels.js';
import type { Matcher } from '../../model/matcher.js';
import { MemoryStorage } from '../../storage/memory.js';
import type { Queryable } from '../../storage/interfaces.js';
import {
  checkAnnotations,
  checkExpectedFailure,
  compareResult,
  formatExpected,
  formatValue,
  isFail,
  isOrdered,
  type ResultValue,
} from './compare.js';
import { parseScript, type Command, type EvalCommand, type LoadCommand } from './script.js';

export interface TestQueryResult {
  value: ResultValue;
  warnings: string[];
  infos: string[];
}

/** What the runner needs of an engine (src/promql/engine's Engine fits). Errors are thrown. */
export interface TestEngine {
  instantQuery(q: Queryable, expr: string, timeMs: number): TestQueryResult | Promise<TestQueryResult>;
  rangeQuery(
    q: Queryable,
    expr: string,
    startMs: number,
    endMs: number,
    stepMs: number,
  ): TestQueryResult | Promise<TestQueryResult>;
}

/** A minimal AST node view: enough to find selectors and pin `@` on them. */
export interface AstNode {
  type: string;
  [k: string]: unknown;
}

/** What the runner needs of the parser: parse to an AST and print it back (for the `@` variants). */
export interface TestParser {
  parseExpr(input: string): AstNode;
  formatExpr(node: AstNode): string;
}

export interface RunDeps {
  engine: TestEngine;
  /** Without a parser, the `@` variants and the selector-based histogram check are left out. */
  parser?: TestParser;
}

export interface EvalOutcome {
  file: string;
  line: number;
  /** The query, or the command text for a script or load error. */
  expr: string;
  passed: boolean;
  expected: string;
  got: string;
  /** Why it failed. */
  error?: string;
}

/** Functions whose result varies with evaluation time even for step-invariant arguments (engine.go). */
const AT_MODIFIER_UNSAFE = new Set([
  'days_in_month',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'hour',
  'minute',
  'month',
  'year',
  'predict_linear',
  'time',
  'timestamp',
  // The query-context functions: their value is the query's start/end/range/step, not the @ time.
  'start',
  'end',
  'range',
  'step',
]);
const QUERY_CONTEXT_FUNCS = /(start|end|range|step)\(\)/;

/** Series we cannot store, with why. */
interface Unsupported {
  labels: Labels;
  reason: string;
}

class Failure extends Error {
  constructor(
    message: string,
    readonly got: string,
  ) {
    super(message);
  }
}

export async function runScriptFile(file: string, deps: RunDeps): Promise<EvalOutcome[]> {
  return runScript(readFileSync(file, 'utf8'), file, deps);
}

export async function runScript(text: string, file: string, deps: RunDeps): Promise<EvalOutcome[]> {
  const cmds: Command[] = parseScript(text);
  const out: EvalOutcome[] = [];
  let storage = new MemoryStorage();
  let unsupported: Unsupported[] = [];
  for (const cmd of cmds) {
    switch (cmd.kind) {
      case 'clear':
        storage = new MemoryStorage();
        unsupported = [];
        break;
      case 'invalid':
        out.push({
          file,
          line: cmd.line,
          expr: cmd.text,
          passed: false,
          expected: '',
          got: '',
          error: cmd.message,
        });
        break;
      case 'load': {
        const err = load(storage, cmd, unsupported);
        if (err !== undefined)
          out.push({ file, line: cmd.line, expr: 'load', passed: false, expected: '', got: '', error: err });
        break;
      }
      case 'eval':
        out.push(await runEval(cmd, file, storage, unsupported, deps));
        break;
    }
  }
  return out;
}

function load(storage: MemoryStorage, cmd: LoadCommand, unsupported: Unsupported[]): string | undefined {
  let firstErr: string | undefined;
  for (const s of cmd.series) {
    const samples: [number, number, number][] = [];
    const hists: Array<[number, FloatHistogram, number]> = [];
    try {
      s.values.forEach((v, i) => {
        const t = i * cmd.stepMs;
        // a start timestamp is an offset from the sample's own time; 0 means none
        const offset = s.st?.[i];
        const st = offset === undefined ? 0 : t + offset;
        if (v.kind === 'float') samples.push([t, v.v, st]);
        else if (v.kind === 'histogram') hists.push([t, histogramOfItem(v.text, v.index).h, st]);
      });
    } catch (err) {
      firstErr ??= `line ${s.line}: ${(err as Error).message}`;
      unsupported.push({ labels: s.labels, reason: `native histogram samples (${(err as Error).message})` });
      continue;
    }
    try {
      if (samples.length > 0) storage.add(s.labels, samples);
      if (hists.length > 0) {
        const app = storage.appender();
        let ref = 0;
        for (const [t, h, st] of hists) ref = app.appendHistogram!(ref, s.labels, t, undefined, h, st);
        void app.commit();
      }
    } catch (err) {
      firstErr ??= `line ${s.line}: ${(err as Error).message}`;
    }
  }
  if (cmd.withNHCB) firstErr ??= loadNHCB(storage, cmd);
  return firstErr;
}

/**
 * load_with_nhcb: each classic histogram's `_bucket`, `_count` and `_sum` float samples are also
 * loaded, per timestamp, as one native histogram with custom buckets under the base name
 * (Prometheus's appendCustomHistogram, through the same conversion as scraping's).
 */
function loadNHCB(storage: MemoryStorage, cmd: LoadCommand): string | undefined {
  const byBase = new Map<string, { labels: Labels; byT: Map<number, ClassicHistogramBuilder> }>();
  for (const s of cmd.series) {
    const c = classicHistogramSuffix(s.labels.metricName());
    if (c === undefined) continue;
    let le = 0;
    if (c.suffix === 'bucket') {
      const text = s.labels.get('le');
      if (text === undefined) return `line ${s.line}: expected bucket label in metric ${s.labels.toString()}`;
      le = parseGoFloat(text, 0, text.length);
      if (floatStatus.err !== FLOAT_OK || Number.isNaN(le)) continue;
    }
    const labels = nhcbLabels(s.labels, c.base);
    const key = labels.toString();
    let entry = byBase.get(key);
    if (entry === undefined) byBase.set(key, (entry = { labels, byT: new Map() }));
    s.values.forEach((v, i) => {
      if (v.kind !== 'float') return;
      const t = i * cmd.stepMs;
      let b = entry.byT.get(t);
      if (b === undefined) entry.byT.set(t, (b = new ClassicHistogramBuilder()));
      if (c.suffix === 'bucket') b.setBucketCount(le, v.v);
      else if (c.suffix === 'count') b.setCount(v.v);
      else b.setSum(v.v);
    });
  }
  for (const { labels, byT } of byBase.values()) {
    const app = storage.appender();
    let ref = 0;
    for (const t of [...byT.keys()].sort((a, b) => a - b)) {
      const r = byT.get(t)!.convert();
      if ('error' in r) return r.error;
      const invalid = validateHistogram(r.h, true);
      if (invalid !== undefined) return invalid;
      ref = app.appendHistogram!(ref, labels, t, undefined, r.h);
    }
    void app.commit();
  }
  return undefined;
}

function collectSelectors(node: unknown, out: Matcher[][]): void {
  if (Array.isArray(node)) {
    for (const n of node) collectSelectors(n, out);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const n = node as AstNode;
  if (typeof n.type !== 'string' || !/^[A-Z]/.test(n.type)) return;
  if (n.type === 'VectorSelector') {
    out.push(n.matchers as Matcher[]);
    return;
  }
  for (const v of Object.values(n)) collectSelectors(v, out);
}

/** Why an eval needs what we cannot do (native histograms, start timestamps), or undefined. */
function unsupportedReason(
  cmd: EvalCommand,
  unsupported: Unsupported[],
  parser: TestParser | undefined,
): string | undefined {
  if (unsupported.length === 0 || parser === undefined) return undefined;
  let ast: AstNode;
  try {
    ast = parser.parseExpr(cmd.expr);
  } catch {
    return undefined;
  }
  const selectors: Matcher[][] = [];
  collectSelectors(ast, selectors);
  for (const ms of selectors) {
    for (const u of unsupported) {
      if (ms.every((m) => m.matches(u.labels.get(m.name) ?? '')))
        return `selects ${u.labels.toString()} which has ${u.reason}: not supported`;
    }
  }
  return undefined;
}

async function runEval(
  cmd: EvalCommand,
  file: string,
  storage: MemoryStorage,
  unsupported: Unsupported[],
  deps: RunDeps,
): Promise<EvalOutcome> {
  const outcome: EvalOutcome = {
    file,
    line: cmd.line,
    expr: cmd.expr,
    passed: false,
    expected: formatExpected(cmd),
    got: '',
  };
  const reason = unsupportedReason(cmd, unsupported, deps.parser);
  if (reason !== undefined) {
    outcome.got = '(not evaluated)';
    outcome.error = reason;
    return outcome;
  }
  try {
    if (cmd.instant) await execInstant(cmd, storage, deps, outcome);
    else await execRange(cmd, storage, deps, outcome);
    outcome.passed = true;
  } catch (err) {
    outcome.error = (err as Error).message;
    if (err instanceof Failure) outcome.got = err.got;
    else outcome.got = `error: ${(err as Error).message}`;
  }
  return outcome;
}

async function query<T>(f: () => T | Promise<T>): Promise<{ res?: T; err?: string }> {
  try {
    return { res: await f() };
  } catch (err) {
    return { err: (err as Error).message };
  }
}

async function execRange(
  cmd: EvalCommand,
  storage: Queryable,
  deps: RunDeps,
  outcome: EvalOutcome,
): Promise<void> {
  const { res, err } = await query(() =>
    deps.engine.rangeQuery(storage, cmd.expr, cmd.startMs, cmd.endMs, cmd.stepMs),
  );
  check(cmd, cmd.expr, res, err, outcome);
}

/** Shared by instant and range evals: failure expectations, annotations, the result. Returns false when done (expected failure). */
function check(
  cmd: EvalCommand,
  expr: string,
  res: TestQueryResult | undefined,
  err: string | undefined,
  outcome: EvalOutcome,
): boolean {
  if (err !== undefined) {
    if (isFail(cmd)) {
      const why = checkExpectedFailure(cmd, err);
      if (why !== undefined) throw new Failure(why, `error: ${err}`);
      outcome.got = `error: ${err}`;
      return false;
    }
    throw new Failure(`error evaluating query ${JSON.stringify(expr)}: ${err}`, `error: ${err}`);
  }
  const r = res!;
  const got = formatValue(r.value);
  outcome.got = got;
  if (isFail(cmd))
    throw new Failure(`expected error evaluating query ${JSON.stringify(expr)} but got none`, got);
  const annErr = checkAnnotations(cmd, r.warnings ?? [], r.infos ?? []);
  const anns = [...(r.warnings ?? []), ...(r.infos ?? [])];
  const gotWithAnns = anns.length > 0 ? `${got} | annotations: ${anns.join('; ')}` : got;
  if (annErr !== undefined) throw new Failure(`${annErr} (query ${JSON.stringify(expr)})`, gotWithAnns);
  const cmpErr = compareResult(cmd, r.value);
  if (cmpErr !== undefined) throw new Failure(`${cmpErr} (query ${JSON.stringify(expr)})`, gotWithAnns);
  return true;
}

async function execInstant(
  cmd: EvalCommand,
  storage: Queryable,
  deps: RunDeps,
  outcome: EvalOutcome,
): Promise<void> {
  const queries: { expr: string; t: number }[] = [{ expr: cmd.expr, t: cmd.evalMs }];
  if (deps.parser !== undefined) {
    const variants = atModifierVariants(cmd.expr, cmd.evalMs, deps.parser);
    if (variants instanceof Error)
      throw new Failure(
        `error parsing ${JSON.stringify(cmd.expr)}: ${variants.message}`,
        `error: ${variants.message}`,
      );
    queries.push(...variants);
  }
  let firstGot: string | undefined;
  for (const q of queries) {
    const { res, err } = await query(() => deps.engine.instantQuery(storage, q.expr, q.t));
    const label = q === queries[0] ? '' : ` (with @ at t=${q.t})`;
    try {
      if (!check(cmd, q.expr, res, err, outcome)) continue;
    } catch (e) {
      if (e instanceof Failure && label !== '') throw new Failure(e.message + label, e.got);
      throw e;
    }
    firstGot ??= outcome.got;
    if (cmd.excludeFromRangeQuery || QUERY_CONTEXT_FUNCS.test(q.expr)) continue;
    // The same query in range mode must give the same result at the middle step.
    const rr = await query(() => deps.engine.rangeQuery(storage, q.expr, q.t - 60_000, q.t + 60_000, 60_000));
    if (rr.err !== undefined)
      throw new Failure(
        `error evaluating query ${JSON.stringify(q.expr)} in range mode: ${rr.err}`,
        `error: ${rr.err}`,
      );
    if (isOrdered(cmd)) continue;
    const v = rr.res!.value;
    if (v.type !== 'matrix')
      throw new Failure(`range query returned a ${v.type}, not a matrix`, formatValue(v));
    const samples = [];
    for (const s of v.series) {
      for (let i = 0; i < s.t.length; i++) {
        if (s.t[i] === q.t) {
          const h = s.h?.[i];
          samples.push(
            h === undefined
              ? { labels: s.labels, t: s.t[i], v: s.v[i] }
              : { labels: s.labels, t: s.t[i], v: 0, h },
          );
          break;
        }
      }
    }
    let mid: ResultValue = { type: 'vector', samples };
    if (res!.value.type === 'scalar') {
      if (samples.length === 0)
        throw new Failure(`range mode returned no point at t=${q.t} for a scalar`, formatValue(v));
      mid = { type: 'scalar', t: q.t, v: samples[0].v };
    }
    const cmpErr = compareResult(cmd, mid);
    if (cmpErr !== undefined)
      throw new Failure(
        `${cmpErr} (query ${JSON.stringify(q.expr)}${label} in range mode)`,
        formatValue(mid),
      );
  }
  if (firstGot !== undefined) outcome.got = firstGot;
}

/**
 * Prometheus's atModifierTestCases: pins `@ <evalTime>` on every selector and subquery outside an
 * `@`-pinned subquery, and evaluates that at other times; the result must not change. Left out when
 * the query uses a function whose value depends on the evaluation time.
 */
export function atModifierVariants(
  expr: string,
  evalMs: number,
  parser: TestParser,
): { expr: string; t: number }[] | Error {
  let ast: AstNode;
  try {
    ast = parser.parseExpr(expr);
  } catch (err) {
    return err as Error;
  }
  let unsafe = false;
  const at = { kind: 'time', ms: evalMs };
  // Go sets Timestamp where it is nil, which includes `@ start()` / `@ end()` (start = end = evalTime here).
  const pin = (n: AstNode): void => {
    const cur = n.at as { kind: string } | undefined;
    if (cur === undefined || cur.kind !== 'time') n.at = at;
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const n = node as AstNode;
    if (typeof n.type !== 'string' || !/^[A-Z]/.test(n.type)) return;
    switch (n.type) {
      case 'VectorSelector':
        pin(n);
        return;
      case 'MatrixSelector':
        pin(n.vectorSelector as AstNode);
        return;
      case 'SubqueryExpr':
        // Inside a subquery that now has `@`, nothing else is pinned (nor inspected).
        pin(n);
        return;
      case 'Call':
        if (AT_MODIFIER_UNSAFE.has(n.func as string)) unsafe = true;
        break;
    }
    for (const v of Object.values(n)) visit(v);
  };
  visit(ast);
  if (unsafe) return [];
  let printed: string;
  try {
    printed = parser.formatExpr(ast);
  } catch (err) {
    return err as Error;
  }
  const times =
    evalMs === 0 ? [-1000, 0, 1000] : [-10 * evalMs, 0, Math.trunc(evalMs / 5), evalMs, 10 * evalMs];
  return times.map((t) => ({ expr: printed, t }));
}

/** Pass and fail counts of outcomes. */
export function summarise(outcomes: readonly EvalOutcome[]): { passed: number; failed: number } {
  let passed = 0;
  for (const o of outcomes) if (o.passed) passed++;
  return { passed, failed: outcomes.length - passed };
}
