// The smaller top-level sections: storage, tracing, otlp and runtime.
import { tlsSchema } from './http.js';
import { checkReservedHeaders } from './remote.js';
import {
  bool,
  bytesize,
  duration,
  float,
  int,
  list,
  map,
  object,
  str,
  zeroObject,
  type Obj,
  type ObjectSchema,
} from './schema.js';
import { fieldError } from './source.js';

const retentionSchema: ObjectSchema = {
  type: 'config.TSDBRetentionConfig',
  fields: [
    { name: 'time', kind: duration },
    { name: 'size', kind: bytesize },
    { name: 'percentage', kind: float },
  ],
  finish(o) {
    const p = o.percentage as number;
    if (p < 0 || p > 100) {
      throw fieldError(o, 'percentage', `retention percentage must be between 0 and 100, got ${p}`);
    }
  },
};

// Float chunk encodings Prometheus 3 accepts; the names are case-sensitive.
const FLOAT_CHUNK_ENCODINGS = ['xor', 'xor2'];

const chunkEncodingSchema: ObjectSchema = {
  type: 'config.TSDBChunkEncodingConfig',
  fields: [{ name: 'floats', kind: str }],
  finish(o) {
    const f = o.floats as string;
    if (f !== '' && !FLOAT_CHUNK_ENCODINGS.includes(f)) {
      throw fieldError(
        o,
        'floats',
        `invalid float chunk encoding ${JSON.stringify(f)}, supported: ${FLOAT_CHUNK_ENCODINGS.join(', ')}`,
      );
    }
  },
};

const tsdbSchema: ObjectSchema = {
  type: 'config.TSDBConfig',
  fields: [
    { name: 'out_of_order_time_window', kind: duration },
    { name: 'stale_series_compaction_threshold', kind: float },
    { name: 'retention', kind: object(retentionSchema), optional: true },
    { name: 'chunk_encoding', kind: object(chunkEncodingSchema), optional: true },
  ],
};

export const storageSchema: ObjectSchema = {
  type: 'config.StorageConfig',
  fields: [
    { name: 'tsdb', kind: object(tsdbSchema), optional: true },
    {
      name: 'exemplars',
      kind: object({ type: 'config.ExemplarsConfig', fields: [{ name: 'max_exemplars', kind: int }] }),
      optional: true,
      def: () => ({ max_exemplars: 100_000 }),
    },
  ],
};

export const tracingSchema: ObjectSchema = {
  type: 'config.TracingConfig',
  fields: [
    { name: 'client_type', kind: str, def: () => 'grpc' },
    { name: 'endpoint', kind: str },
    { name: 'sampling_fraction', kind: float },
    { name: 'insecure', kind: bool },
    { name: 'tls_config', kind: object(tlsSchema) },
    { name: 'headers', kind: map(str) },
    { name: 'compression', kind: str },
    { name: 'timeout', kind: duration },
  ],
  finish(o) {
    if (o.client_type !== 'http' && o.client_type !== 'grpc') {
      throw fieldError(
        o,
        'client_type',
        `expected tracing client type to be to be http or grpc, but got ${o.client_type as string}`,
      );
    }
    checkReservedHeaders(o, 'headers', 'custom authorization header configuration is not yet supported');
    if (o.endpoint === '') throw fieldError(o, 'endpoint', 'tracing endpoint must be set');
    if (o.compression !== '' && o.compression !== 'gzip') {
      throw fieldError(
        o,
        'compression',
        `invalid compression type ${o.compression as string} provided, valid options: gzip`,
      );
    }
  },
};

/** Without a `tracing` section Prometheus keeps the zero value (no client type, tracing off). */
export const defaultTracing = (): Obj => zeroObject(tracingSchema);

export const OTLP_TRANSLATION_STRATEGIES = [
  'UnderscoreEscapingWithSuffixes',
  'UnderscoreEscapingWithoutSuffixes',
  'NoUTF8EscapingWithSuffixes',
  'NoTranslation',
];

function sanitizeAttributes(o: Obj, key: string, adjective: string): void {
  const attrs = o[key] as string[];
  const seen = new Set<string>();
  const problems: string[] = [];
  attrs.forEach((raw, i) => {
    const a = raw.trim();
    if (a === '') {
      problems.push(`empty ${adjective} OTel resource attribute`);
      return;
    }
    if (seen.has(a)) {
      problems.push(`duplicated ${adjective} OTel resource attribute ${JSON.stringify(a)}`);
      return;
    }
    seen.add(a);
    attrs[i] = a;
  });
  if (problems.length > 0) throw fieldError(o, key, `invalid '${key}': ${problems.join('\n')}`);
}

export const otlpSchema: ObjectSchema = {
  type: 'config.OTLPConfig',
  fields: [
    { name: 'promote_all_resource_attributes', kind: bool },
    { name: 'promote_resource_attributes', kind: list(str) },
    { name: 'ignore_resource_attributes', kind: list(str) },
    { name: 'translation_strategy', kind: str, def: () => 'UnderscoreEscapingWithSuffixes' },
    { name: 'keep_identifying_resource_attributes', kind: bool },
    { name: 'convert_histograms_to_nhcb', kind: bool },
    { name: 'promote_scope_metadata', kind: bool },
    // Both default to true for backwards compatibility, as in Prometheus.
    { name: 'label_name_underscore_sanitization', kind: bool, def: () => true },
    { name: 'label_name_preserve_multiple_underscores', kind: bool, def: () => true },
  ],
  finish(o) {
    if (o.promote_all_resource_attributes) {
      if ((o.promote_resource_attributes as string[]).length > 0) {
        throw fieldError(
          o,
          'promote_resource_attributes',
          "'promote_all_resource_attributes' and 'promote_resource_attributes' cannot be configured simultaneously",
        );
      }
      sanitizeAttributes(o, 'ignore_resource_attributes', 'ignored');
    } else {
      if ((o.ignore_resource_attributes as string[]).length > 0) {
        throw fieldError(
          o,
          'ignore_resource_attributes',
          "'ignore_resource_attributes' cannot be configured unless 'promote_all_resource_attributes' is true",
        );
      }
      sanitizeAttributes(o, 'promote_resource_attributes', 'promoted');
    }
  },
};

export const DEFAULT_GOGC = 75;

export const runtimeSchema: ObjectSchema = {
  type: 'config.RuntimeConfig',
  // gogc tunes Go's garbage collector; accepted for compatibility, it has no meaning on Node.js.
  fields: [{ name: 'gogc', kind: int, def: () => DEFAULT_GOGC }],
};
