// Rule files (Prometheus's model/rulefmt): `groups:` of recording and alerting rules, read strictly
// (unknown fields are errors, as yaml.v3's KnownFields) and validated with Prometheus's messages:
// "FILE: LINE:COL: group "G", rule N, "NAME": <reason>". Only the first YAML document is read; a
// second one is reported as a warning, as Prometheus does.
import fs from 'node:fs';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import { DurationError, parseDuration } from '../model/duration.js';
import { isLegacyMetricName, METRIC_NAME } from '../model/labels.js';
import { isValidLabelName, isValidLabelValue, type NameValidationScheme } from '../model/labelname.js';
import { parseExpr } from '../promql/parser/index.js';
import { goQuote } from '../model/goquote.js';
import { ALERT_TEMPLATE_DEFS, parseTemplate } from '../template/expander.js';

export interface RuleSpec {
  record: string;
  alert: string;
  expr: string;
  /** ms */
  for: number;
  keepFiringFor: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroupSpec {
  name: string;
  /** ms; 0 means the global evaluation_interval. */
  interval: number;
  /** ms; undefined means the global rule_query_offset. */
  queryOffset?: number;
  limit: number;
  labels: Record<string, string>;
  rules: RuleSpec[];
}

export interface ParsedRuleFile {
  groups: RuleGroupSpec[];
  /** Each as Prometheus prints it, prefixed with the file name. Empty when the file is good. */
  errors: string[];
  warnings: string[];
}

interface Ctx {
  doc: Document;
  lc: LineCounter;
  unknown: string[];
  typeErrors: string[];
}

function line(ctx: Ctx, node: Node | undefined | null): number {
  return node?.range === undefined || node.range === null ? 0 : ctx.lc.linePos(node.range[0]).line;
}

function pos(ctx: Ctx, node: Node | undefined | null): string {
  if (node?.range === undefined || node.range === null) return '0:0';
  const p = ctx.lc.linePos(node.range[0]);
  return `${p.line}:${p.col}`;
}

/** The node an alias (*name) stands for. */
function deref(ctx: Ctx, node: unknown): unknown {
  let n = node;
  for (let i = 0; i < 100 && isAlias(n); i++) n = n.resolve(ctx.doc);
  return n;
}

/** A mapping's pairs by key, with unknown keys recorded as yaml.v3 words them. */
function fields(ctx: Ctx, m: YAMLMap, known: readonly string[], type: string): Map<string, Pair> {
  const out = new Map<string, Pair>();
  const merged: Pair[] = [];
  for (const pair of m.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    if (key === '<<') {
      // merge keys: the aliased mapping's pairs, unless set here
      const src = deref(ctx, pair.value);
      for (const from of isSeq(src) ? src.items.map((x) => deref(ctx, x)) : [src])
        if (isMap(from)) merged.push(...from.items);
      continue;
    }
    if (!known.includes(key)) {
      ctx.unknown.push(`line ${line(ctx, pair.key as Node)}: field ${key} not found in type ${type}`);
      continue;
    }
    if (out.has(key)) {
      ctx.unknown.push(
        `line ${line(ctx, pair.key as Node)}: mapping key "${key}" already defined at line ${line(ctx, out.get(key)!.key as Node)}`,
      );
    }
    out.set(key, { ...pair, value: deref(ctx, pair.value) } as Pair);
  }
  for (const pair of merged) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    if (known.includes(key) && !out.has(key))
      out.set(key, { ...pair, value: deref(ctx, pair.value) } as Pair);
  }
  return out;
}

function scalarText(ctx: Ctx, node: unknown, goType: string): string {
  if (node === null || node === undefined) return '';
  if (isScalar(node)) {
    if (node.value === null) return '';
    return typeof node.value === 'string' ? node.value : (node.source ?? String(node.value));
  }
  ctx.typeErrors.push(
    `line ${line(ctx, node as Node)}: cannot unmarshal !!${isSeq(node) ? 'seq' : 'map'} into ${goType}`,
  );
  return '';
}

function durationField(ctx: Ctx, node: unknown): number {
  const text = scalarText(ctx, node, 'model.Duration');
  if (text === '') return 0;
  try {
    return parseDuration(text);
  } catch (err) {
    if (err instanceof DurationError) ctx.typeErrors.push(err.message);
    return 0;
  }
}

function stringMap(ctx: Ctx, node: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return out;
  if (!isMap(node)) {
    ctx.typeErrors.push(`line ${line(ctx, node as Node)}: cannot unmarshal into map[string]string`);
    return out;
  }
  for (const pair of node.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : '';
    out[k] = scalarText(ctx, deref(ctx, pair.value), 'string');
  }
  return out;
}

interface RuleNodes {
  record?: Node;
  alert?: Node;
  expr?: Node;
}

function parseRule(ctx: Ctx, node: unknown): { rule: RuleSpec; nodes: RuleNodes } {
  const rule: RuleSpec = {
    record: '',
    alert: '',
    expr: '',
    for: 0,
    keepFiringFor: 0,
    labels: {},
    annotations: {},
  };
  const nodes: RuleNodes = {};
  if (!isMap(node)) return { rule, nodes };
  const f = fields(
    ctx,
    node,
    ['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'],
    'rulefmt.Rule',
  );
  const val = (k: string): Node | undefined => (f.get(k)?.value ?? undefined) as Node | undefined;
  nodes.record = val('record');
  nodes.alert = val('alert');
  nodes.expr = val('expr');
  rule.record = scalarText(ctx, nodes.record, 'string');
  rule.alert = scalarText(ctx, nodes.alert, 'string');
  rule.expr = scalarText(ctx, nodes.expr, 'string');
  rule.for = durationField(ctx, val('for'));
  rule.keepFiringFor = durationField(ctx, val('keep_firing_for'));
  rule.labels = stringMap(ctx, val('labels'));
  rule.annotations = stringMap(ctx, val('annotations'));
  return { rule, nodes };
}

/** rulefmt.Rule.Validate: the rule's problems as "LINE:COL: reason" (or just the reason). */
function validateRule(ctx: Ctx, r: RuleSpec, n: RuleNodes, scheme: NameValidationScheme): string[] {
  const errs: string[] = [];
  const both = `${pos(ctx, n.record)}: ${pos(ctx, n.alert)}`;
  if (r.record !== '' && r.alert !== '') errs.push(`${both}: only one of 'record' and 'alert' must be set`);
  if (r.record === '' && r.alert === '') errs.push(`${both}: one of 'record' or 'alert' must be set`);
  if (r.expr === '') errs.push(`${pos(ctx, n.expr)}: field 'expr' must be set in rule`);
  else {
    try {
      parseExpr(r.expr);
    } catch (err) {
      errs.push(`${pos(ctx, n.expr)}: could not parse expression: ${(err as Error).message}`);
    }
  }
  if (r.record !== '') {
    const at = pos(ctx, n.record);
    if (Object.keys(r.annotations).length > 0)
      errs.push(`${at}: invalid field 'annotations' in recording rule`);
    if (r.for !== 0) errs.push(`${at}: invalid field 'for' in recording rule`);
    if (r.keepFiringFor !== 0) errs.push(`${at}: invalid field 'keep_firing_for' in recording rule`);
    const validName = scheme === 'legacy' ? isLegacyMetricName(r.record) : isValidLabelValue(r.record);
    if (!validName) errs.push(`${at}: invalid recording rule name: ${r.record}`);
    if (r.record.includes('{') || r.record.includes('}'))
      errs.push(`${at}: braces present in the recording rule name; should it be in expr?: ${r.record}`);
  }
  for (const [k, v] of Object.entries(r.labels)) {
    if (!isValidLabelName(k, scheme) || k === METRIC_NAME) errs.push(`invalid label name: ${k}`);
    if (!isValidLabelValue(v)) errs.push(`invalid label value: ${v}`);
  }
  for (const k of Object.keys(r.annotations)) {
    if (!isValidLabelName(k, scheme)) errs.push(`invalid annotation name: ${k}`);
  }
  if (r.alert !== '') {
    const check = (what: string, k: string, text: string): void => {
      try {
        parseTemplate(`__alert_${r.alert}`, ALERT_TEMPLATE_DEFS + text);
      } catch (err) {
        errs.push(`${what} ${goQuote(k)}: ${(err as Error).message}`);
      }
    };
    for (const [k, v] of Object.entries(r.labels)) check('label', k, v);
    for (const [k, v] of Object.entries(r.annotations)) check('annotation', k, v);
  }
  return errs;
}

export interface ParseRulesOptions {
  scheme?: NameValidationScheme;
  /** promtool's --ignore-unknown-fields. */
  ignoreUnknownFields?: boolean;
}

/** rulefmt.Parse over a file's text; errors are not yet prefixed with the file name. */
export function parseRules(text: string, o: ParseRulesOptions = {}): ParsedRuleFile {
  const scheme = o.scheme ?? 'utf8';
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, uniqueKeys: false });
  const warnings: string[] = [];
  const result: ParsedRuleFile = { groups: [], errors: [], warnings };
  if (!Array.isArray(docs)) return result;
  if (docs.length > 1)
    warnings.push(
      'Multiple document yaml rules files are not supported, only the first document is processed',
    );
  const doc = docs[0];
  if (doc === undefined) return result;
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    result.errors.push(`yaml: line ${e.linePos?.[0].line ?? 0}: ${e.message.split('\n')[0]}`);
    return result;
  }
  const ctx: Ctx = { doc, lc, unknown: [], typeErrors: [] };
  const root = doc.contents;
  const groupNodes: YAMLMap[] = [];
  if (root !== null && !(isScalar(root) && root.value === null)) {
    if (!isMap(root)) {
      result.errors.push(
        `yaml: unmarshal errors:\n  line ${line(ctx, root)}: cannot unmarshal into rulefmt.RuleGroups`,
      );
      return result;
    }
    const top = fields(ctx, root, ['groups'], 'rulefmt.RuleGroups');
    const groups = top.get('groups')?.value;
    if (groups !== undefined && groups !== null && !(isScalar(groups) && groups.value === null)) {
      if (!isSeq(groups))
        ctx.typeErrors.push(`line ${line(ctx, groups as Node)}: cannot unmarshal into []rulefmt.RuleGroup`);
      else
        for (const item of groups.items) {
          const g = deref(ctx, item);
          if (isMap(g)) groupNodes.push(g);
          else ctx.typeErrors.push(`line ${line(ctx, g as Node)}: cannot unmarshal into rulefmt.RuleGroup`);
        }
    }
  }
  const parsed: Array<{ group: RuleGroupSpec; node: YAMLMap; rules: RuleNodes[] }> = [];
  for (const g of groupNodes) {
    const f = fields(
      ctx,
      g,
      ['name', 'interval', 'query_offset', 'limit', 'rules', 'labels'],
      'rulefmt.RuleGroup',
    );
    const v = (k: string): unknown => f.get(k)?.value;
    const group: RuleGroupSpec = {
      name: scalarText(ctx, v('name'), 'string'),
      interval: durationField(ctx, v('interval')),
      limit: 0,
      labels: stringMap(ctx, v('labels')),
      rules: [],
    };
    if (f.has('query_offset')) group.queryOffset = durationField(ctx, v('query_offset'));
    const limit = scalarText(ctx, v('limit'), 'int');
    if (limit !== '') {
      if (!/^[+-]?\d+$/.test(limit))
        ctx.typeErrors.push(
          `line ${line(ctx, v('limit') as Node)}: cannot unmarshal !!str \`${limit}\` into int`,
        );
      else group.limit = Number(limit);
    }
    const rulesNode = v('rules');
    const ruleNodes: RuleNodes[] = [];
    if (isSeq(rulesNode)) {
      for (const rn of rulesNode.items) {
        const { rule, nodes } = parseRule(ctx, deref(ctx, rn));
        group.rules.push(rule);
        ruleNodes.push(nodes);
      }
    }
    parsed.push({ group, node: g, rules: ruleNodes });
  }
  const unmarshal = [...(o.ignoreUnknownFields === true ? [] : ctx.unknown), ...ctx.typeErrors];
  if (unmarshal.length > 0) {
    result.errors.push('yaml: unmarshal errors:\n  ' + unmarshal.join('\n  '));
    return result;
  }
  // RuleGroups.Validate
  const seen = new Set<string>();
  for (const { group, node, rules } of parsed) {
    const at = pos(ctx, node);
    if (group.name === '') result.errors.push(`${at}: Groupname must not be empty`);
    if (seen.has(group.name))
      result.errors.push(`${at}: groupname: "${group.name}" is repeated in the same file`);
    for (const [k, val] of Object.entries(group.labels)) {
      if (!isValidLabelName(k, scheme) || k === METRIC_NAME) result.errors.push(`invalid label name: ${k}`);
      if (!isValidLabelValue(val)) result.errors.push(`invalid label value: ${val}`);
    }
    seen.add(group.name);
    group.rules.forEach((r, i) => {
      const name = r.alert !== '' ? r.alert : r.record;
      for (const e of validateRule(ctx, r, rules[i], scheme)) {
        // "L:C: reason" or "L:C: L:C: reason" → position first, then the group and rule
        const m = /^((?:\d+:\d+: )+)(.*)$/s.exec(e);
        const prefix = m === null ? '' : m[1];
        const reason = m === null ? e : m[2];
        result.errors.push(
          `${prefix}group ${goQuote(group.name)}, rule ${i + 1}, ${goQuote(name)}: ${reason}`,
        );
      }
    });
  }
  result.groups = parsed.map((p) => p.group);
  return result;
}

/** rulefmt.ParseFile: reads and parses; every error is prefixed with the file name. */
export function parseRuleFile(file: string, o: ParseRulesOptions = {}): ParsedRuleFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file or directory' : (err as Error).message;
    return { groups: [], errors: [`${file}: open ${file}: ${reason}`], warnings: [] };
  }
  const parsed = parseRules(text, o);
  parsed.errors = parsed.errors.map((e) => `${file}: ${e}`);
  return parsed;
}
