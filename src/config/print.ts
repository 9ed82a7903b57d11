// configToYaml: the loaded configuration printed the way Prometheus shows it on
// /api/v1/status/config — defaults filled in, secrets as <secret>, durations as "15s", fields in
// Prometheus's order and Go's omitempty rules (driven by the same schema tables as parsing).
import { Document, type Node } from 'yaml';
import { formatByteSize } from '../model/bytesize.js';
import { formatDuration } from '../model/duration.js';
import { configSchema } from './config.js';
import type { Kind, Obj, ObjectSchema } from './schema.js';
import { Secret, SECRET_PLACEHOLDER } from './secret.js';
import type { Config } from './types.js';

/** Go's "is zero value" test behind `omitempty`. */
function isZero(kind: Kind, v: unknown): boolean {
  if (v === undefined || v === null) return true;
  switch (kind.k) {
    case 'secret':
      return (v as Secret).isEmpty;
    case 'list':
      return (v as unknown[]).length === 0;
    case 'map':
      return Object.keys(v as Obj).length === 0;
    case 'raw':
      return false;
    case 'object':
      return kind.schema.fields.every((f) => isZero(f.kind, (v as Obj)[f.name]));
    default:
      return v === '' || v === 0 || v === false;
  }
}

function printValue(doc: Document, kind: Kind, v: unknown): unknown {
  switch (kind.k) {
    case 'secret':
      return (v as Secret).isEmpty ? '' : SECRET_PLACEHOLDER;
    case 'duration':
      return formatDuration(v as number);
    case 'bytesize':
      return (v as number) === 0 ? '0B' : formatByteSize(v as number);
    case 'list': {
      const items = (v as unknown[]).map((x) => (x === null ? null : printValue(doc, kind.of, x)));
      if (!kind.flow) return items;
      const seq = doc.createNode(items) as Node & { flow?: boolean };
      seq.flow = true;
      return seq;
    }
    case 'map': {
      const out: Obj = {};
      for (const [k, x] of Object.entries(v as Obj)) out[k] = printValue(doc, kind.of, x);
      return out;
    }
    case 'object':
      return printObject(doc, kind.schema, v as Obj);
    default:
      return v;
  }
}

function printObject(doc: Document, schema: ObjectSchema, obj: Obj): Obj {
  const out: Obj = {};
  for (const f of schema.fields) {
    if (f.kind.k === 'unsupported') continue;
    const v = obj[f.name];
    if (v === undefined) continue;
    if (!f.always && isZero(f.kind, v)) continue;
    out[f.name] = printValue(doc, f.kind, v);
  }
  return out;
}

/** YAML for /api/v1/status/config. Jobs from scrape_config_files are left out, as in Prometheus. */
export function configToYaml(cfg: Config): string {
  const doc = new Document();
  const origins = cfg.scrape_config_origins ?? {};
  const mainOnly = { ...cfg, scrape_configs: cfg.scrape_configs.filter((j) => !(j.job_name in origins)) };
  doc.contents = doc.createNode(printObject(doc, configSchema, mainOnly as unknown as Obj)) as Node;
  return doc.toString({ indentSeq: false, flowCollectionPadding: false, lineWidth: 0 });
}
