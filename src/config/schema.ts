// The declarative core: every config type is an ObjectSchema (a table of fields with their kind,
// default and printing rule). One engine reads YAML nodes through these tables, with Go yaml.v2's
// strict-mode semantics as Prometheus uses them:
//  - unknown keys are errors ("field foo not found in type config.ScrapeConfig");
//  - an absent key keeps the default, an explicit null sets the zero value (no default, no validation);
//  - any scalar may be read as a string (yaml.v2 does so: `bearer_token: 1234` is the string "1234").
// The same tables drive printing (print.ts), so parsing and printing cannot drift apart.
import * as path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { parseByteSize } from '../model/bytesize.js';
import { parseDuration } from '../model/duration.js';
import { decodeGoBytes } from '../model/gobytes.js';
import { Secret } from './secret.js';
import { joinPath, setMeta, type Pos, type Source } from './source.js';

export type Kind =
  | { k: 'string' }
  | { k: 'secret' }
  | { k: 'bool' }
  | { k: 'int'; unsigned?: boolean }
  | { k: 'float' }
  | { k: 'duration' }
  | { k: 'bytesize' }
  /** A file path or glob, resolved against the config file's directory when read (Go's SetDirectory). */
  | { k: 'path' }
  /** A YAML subtree kept as plain data; for sections we accept only to reject them later. */
  | { k: 'raw' }
  | { k: 'list'; of: Kind; flow?: boolean }
  | { k: 'map'; of: Kind }
  | { k: 'object'; schema: ObjectSchema }
  /** A known Prometheus feature Promethium does not implement: non-empty use is reported. */
  | { k: 'unsupported'; what: string };

export interface Field {
  name: string;
  kind: Kind;
  /** Value when the key is absent; without it the kind's default (objects: their own defaults). */
  def?: () => unknown;
  /** Absent or null gives undefined (a Go pointer or nil slice whose unset state matters). */
  optional?: boolean;
  /** Printed even when zero (a Go field without `omitempty`). */
  always?: boolean;
}

export type Obj = Record<string, unknown>;

export interface ParseCtx {
  src: Source;
}

export interface ObjectSchema {
  /** Go type name, used in "field x not found in type ..." errors. */
  type: string;
  fields: Field[];
  /** Checks and normalisation run once the fields are read, as Go's UnmarshalYAML does. */
  finish?: (obj: Obj, ctx: ParseCtx) => void;
}

export const str: Kind = { k: 'string' };
export const secret: Kind = { k: 'secret' };
export const bool: Kind = { k: 'bool' };
export const int: Kind = { k: 'int' };
export const uint: Kind = { k: 'int', unsigned: true };
export const float: Kind = { k: 'float' };
export const duration: Kind = { k: 'duration' };
export const bytesize: Kind = { k: 'bytesize' };
export const filePath: Kind = { k: 'path' };
export const raw: Kind = { k: 'raw' };
export const list = (of: Kind, flow = false): Kind => ({ k: 'list', of, flow });
export const map = (of: Kind): Kind => ({ k: 'map', of });
export const object = (schema: ObjectSchema): Kind => ({ k: 'object', schema });

/** The Go zero value of a kind. */
export function zeroOf(kind: Kind): unknown {
  switch (kind.k) {
    case 'string':
    case 'path':
      return '';
    case 'secret':
      return new Secret('');
    case 'bool':
      return false;
    case 'int':
    case 'float':
    case 'duration':
    case 'bytesize':
      return 0;
    case 'list':
      return [];
    case 'map':
      return {};
    case 'object':
      return zeroObject(kind.schema);
    case 'raw':
    case 'unsupported':
      return undefined;
  }
}

export function zeroObject(schema: ObjectSchema): Obj {
  const out: Obj = {};
  for (const f of schema.fields) if (!f.optional && f.kind.k !== 'unsupported') out[f.name] = zeroOf(f.kind);
  return out;
}

/** The value an absent field takes. */
export function absentValue(f: Field): unknown {
  if (f.def) return f.def();
  if (f.optional || f.kind.k === 'unsupported') return undefined;
  if (f.kind.k === 'object') return defaultObject(f.kind.schema);
  return zeroOf(f.kind);
}

/** An object as its defaults make it, without running its checks (Go: the parent's default value). */
export function defaultObject(schema: ObjectSchema): Obj {
  const out: Obj = {};
  for (const f of schema.fields) {
    const v = absentValue(f);
    if (v !== undefined) out[f.name] = v;
  }
  return out;
}

// ---- reading nodes ----

function posOf(ctx: ParseCtx, node: Node | null | undefined): Pos | undefined {
  return ctx.src.posOf(node?.range?.[0]);
}

function resolve(ctx: ParseCtx, node: unknown): Node | null {
  let n = node as Node | null | undefined;
  for (let i = 0; n && isAlias(n) && i < 100; i++) n = n.resolve(ctx.src.doc) as Node | undefined;
  return n ?? null;
}

export function isNull(node: Node | null): boolean {
  return node === null || (isScalar(node) && node.value === null);
}

function tagName(node: Node): string {
  if (isMap(node)) return '!!map';
  if (isSeq(node)) return '!!seq';
  const v = (node as Scalar).value;
  if (typeof v === 'number') return Number.isInteger(v) ? '!!int' : '!!float';
  if (typeof v === 'boolean') return '!!bool';
  return '!!str';
}

function typeError(ctx: ParseCtx, node: Node, field: string, goType: string): never {
  const text = isScalar(node) ? ` \`${scalarText(node)}\`` : '';
  throw ctx.src.error(field, posOf(ctx, node), `cannot unmarshal ${tagName(node)}${text} into ${goType}`);
}

function scalarText(node: Scalar): string {
  const v = node.value;
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return decodeGoBytes(v); // !!binary
  if (v === null) return '';
  return node.source ?? String(v);
}

const YAML11_TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const YAML11_FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);

function readValue(kind: Kind, node: Node, ctx: ParseCtx, field: string): unknown {
  switch (kind.k) {
    case 'string':
    case 'secret':
    case 'path': {
      if (!isScalar(node)) typeError(ctx, node, field, 'string');
      const s = scalarText(node);
      if (kind.k === 'secret') return new Secret(s);
      if (kind.k === 'path') return joinDir(ctx.src.dir, s);
      return s;
    }
    case 'bool': {
      if (isScalar(node)) {
        if (typeof node.value === 'boolean') return node.value;
        // yaml.v2 reads YAML 1.1 booleans (yes/no/on/off) when they are plain scalars.
        if (node.type === 'PLAIN' && typeof node.value === 'string') {
          if (YAML11_TRUE.has(node.value)) return true;
          if (YAML11_FALSE.has(node.value)) return false;
        }
      }
      return typeError(ctx, node, field, 'bool');
    }
    case 'int': {
      if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value)) {
        return typeError(ctx, node, field, kind.unsigned ? 'uint' : 'int');
      }
      if (kind.unsigned && node.value < 0) typeError(ctx, node, field, 'uint');
      return node.value;
    }
    case 'float': {
      if (!isScalar(node) || typeof node.value !== 'number') return typeError(ctx, node, field, 'float64');
      return node.value;
    }
    case 'duration': {
      if (!isScalar(node)) return typeError(ctx, node, field, 'model.Duration');
      try {
        return parseDuration(scalarText(node));
      } catch (err) {
        throw ctx.src.error(field, posOf(ctx, node), (err as Error).message);
      }
    }
    case 'bytesize': {
      if (!isScalar(node)) return typeError(ctx, node, field, 'units.Base2Bytes');
      try {
        return parseByteSize(scalarText(node));
      } catch (err) {
        throw ctx.src.error(field, posOf(ctx, node), (err as Error).message);
      }
    }
    case 'raw':
      return node.toJSON();
    case 'list': {
      if (!isSeq(node)) return typeError(ctx, node, field, '[]' + goName(kind.of));
      return node.items.map((item, i) => {
        const n = resolve(ctx, item);
        const p = joinPath(field, i);
        // Null list entries of objects stay null: their owner reports "empty or null ..." like Prometheus.
        if (isNull(n)) return kind.of.k === 'object' ? null : zeroOf(kind.of);
        return readValue(kind.of, n as Node, ctx, p);
      });
    }
    case 'map': {
      if (!isMap(node)) return typeError(ctx, node, field, 'map[string]' + goName(kind.of));
      const out: Obj = {};
      for (const pair of pairsOf(node, ctx)) {
        const key = keyText(pair, ctx, field);
        const n = resolve(ctx, pair.value);
        out[key] = isNull(n) ? zeroOf(kind.of) : readValue(kind.of, n as Node, ctx, joinPath(field, key));
      }
      return out;
    }
    case 'object': {
      if (!isMap(node)) return typeError(ctx, node, field, kind.schema.type);
      return parseObject(kind.schema, node, ctx, field);
    }
    case 'unsupported':
      return undefined;
  }
}

function goName(kind: Kind): string {
  switch (kind.k) {
    case 'object':
      return kind.schema.type;
    case 'list':
      return '[]' + goName(kind.of);
    case 'int':
      return kind.unsigned ? 'uint' : 'int';
    case 'float':
      return 'float64';
    case 'bool':
      return 'bool';
    default:
      return 'string';
  }
}

function keyText(pair: Pair, ctx: ParseCtx, field: string): string {
  const key = resolve(ctx, pair.key);
  if (key === null || !isScalar(key)) {
    throw ctx.src.error(field, posOf(ctx, key), 'mapping keys must be scalars');
  }
  return scalarText(key);
}

function isMergeKey(pair: Pair): boolean {
  return isScalar(pair.key) && (typeof pair.key.value === 'symbol' || pair.key.source === '<<');
}

/** The pairs of a mapping with YAML merge keys (`<<: *anchor`) expanded; explicit keys win. */
function pairsOf(node: YAMLMap, ctx: ParseCtx): Pair[] {
  const own = node.items.filter((p) => !isMergeKey(p));
  const merged: Pair[] = [];
  for (const p of node.items) {
    if (!isMergeKey(p)) continue;
    const v = resolve(ctx, p.value);
    const sources = v && isSeq(v) ? v.items.map((i) => resolve(ctx, i)) : [v];
    for (const s of sources) if (s && isMap(s)) merged.push(...pairsOf(s, ctx));
  }
  if (merged.length === 0) return own;
  const ownKeys = new Set(own.map((p) => (isScalar(p.key) ? String(p.key.value) : '')));
  const seen = new Set<string>();
  const extra = merged.filter((p) => {
    const k = isScalar(p.key) ? String(p.key.value) : '';
    if (ownKeys.has(k) || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return [...own, ...extra];
}

/** Reads a mapping through its schema; `path` is the field path of the mapping itself. */
export function parseObject(schema: ObjectSchema, node: YAMLMap, ctx: ParseCtx, path: string): Obj {
  const out: Obj = {};
  const keys = new Map<string, Pos | undefined>();
  for (const pair of pairsOf(node, ctx)) {
    const key = keyText(pair, ctx, path);
    const keyNode = resolve(ctx, pair.key);
    const fieldPath = joinPath(path, key);
    const field = schema.fields.find((f) => f.name === key);
    if (field === undefined) {
      throw ctx.src.error(fieldPath, posOf(ctx, keyNode), `field ${key} not found in type ${schema.type}`);
    }
    keys.set(key, posOf(ctx, keyNode));
    const valueNode = resolve(ctx, pair.value);
    if (field.kind.k === 'unsupported') {
      if (!isNull(valueNode) && !(isSeq(valueNode) && valueNode.items.length === 0)) {
        ctx.src.unsupported.push({
          src: ctx.src,
          field: fieldPath,
          pos: posOf(ctx, keyNode),
          reason: `${field.kind.what} is not supported yet by Promethium`,
        });
      }
      continue;
    }
    if (isNull(valueNode)) {
      if (!field.optional) out[key] = zeroOf(field.kind);
      continue;
    }
    out[key] = readValue(field.kind, valueNode as Node, ctx, fieldPath);
  }
  for (const f of schema.fields) {
    if (keys.has(f.name)) continue;
    const v = absentValue(f);
    if (v !== undefined) out[f.name] = v;
  }
  setMeta(out, { src: ctx.src, path, pos: posOf(ctx, node), keys });
  schema.finish?.(out, ctx);
  return out;
}

/** Reads a document root (or an empty document) through a schema. */
export function parseRoot(schema: ObjectSchema, root: Node | null, ctx: ParseCtx): Obj {
  const node = resolve(ctx, root);
  if (isNull(node)) {
    const out = defaultObject(schema);
    setMeta(out, { src: ctx.src, path: '', pos: undefined, keys: new Map() });
    return out;
  }
  if (!isMap(node)) typeError(ctx, node as Node, '', schema.type);
  return parseObject(schema, node as YAMLMap, ctx, '');
}

/** Go's config.JoinDir: relative, non-empty paths are joined to dir (and cleaned). */
export function joinDir(dir: string, p: string): string {
  if (p === '' || path.isAbsolute(p)) return p;
  return path.join(dir, p);
}

/** Replaces a field's default (for types that inline shared fields with a different default). */
export function withDefault(fields: Field[], name: string, def: () => unknown): Field[] {
  return fields.map((f) => (f.name === name ? { ...f, def } : f));
}
