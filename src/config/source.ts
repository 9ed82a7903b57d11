// One YAML source file being read: its name, the directory relative paths resolve against, and the
// line counter that turns node offsets into line:column for error messages.
import type { LineCounter, Document } from 'yaml';
import { ConfigError } from './errors.js';

export interface Pos {
  line: number;
  column: number;
}

export interface Unsupported {
  src: Source;
  field: string;
  pos?: Pos;
  reason: string;
}

export class Source {
  /** Features the file uses that Promethium rejects, reported after full validation (see config.ts). */
  readonly unsupported: Unsupported[];

  constructor(
    readonly file: string,
    readonly dir: string,
    readonly doc: Document,
    readonly lineCounter: LineCounter,
    unsupported: Unsupported[],
  ) {
    this.unsupported = unsupported;
  }

  posOf(offset: number | undefined): Pos | undefined {
    if (offset === undefined) return undefined;
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  error(field: string, pos: Pos | undefined, reason: string): ConfigError {
    return new ConfigError({ file: this.file, line: pos?.line, column: pos?.column, field }, reason);
  }
}

/** Where a parsed object and each of its keys came from; kept aside so the typed tree stays plain data. */
export interface ObjectMeta {
  src: Source;
  path: string;
  pos?: Pos;
  keys: Map<string, Pos | undefined>;
}

const META = new WeakMap<object, ObjectMeta>();

export function setMeta(obj: object, meta: ObjectMeta): void {
  META.set(obj, meta);
}

export function metaOf(obj: object): ObjectMeta | undefined {
  return META.get(obj);
}

export function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/**
 * The error for `obj` (a parsed config object) at `key`: points at the key's line when the key was
 * written, else at the object itself. Objects built from defaults have no meta; `fallback` names them.
 */
export function fieldError(
  obj: object,
  key: string | undefined,
  reason: string,
  fallback?: ObjectMeta,
): ConfigError {
  const meta = metaOf(obj) ?? fallback;
  if (meta === undefined) return new ConfigError({ file: '<config>', field: key ?? '' }, reason);
  const field = key === undefined ? meta.path : joinPath(meta.path, key);
  const pos = key !== undefined && meta.keys.has(key) ? meta.keys.get(key) : meta.pos;
  return meta.src.error(field, pos, reason);
}

/** True when `key` was written in the YAML for `obj` (as opposed to filled in from a default). */
export function wasSet(obj: object, key: string): boolean {
  return metaOf(obj)?.keys.has(key) ?? false;
}
