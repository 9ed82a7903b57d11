// remote_write and remote_read (Prometheus RemoteWriteConfig / RemoteReadConfig). Promethium does
// not implement either yet, but reads them fully so a broken section fails for its real fault
// before it fails for being unsupported.
import { checkURL, httpClientFields, validateHTTPClient } from './http.js';
import { relabelSchema } from './relabel.js';
import {
  bool,
  duration,
  int,
  list,
  map,
  object,
  raw,
  str,
  uint,
  withDefault,
  type Obj,
  type ObjectSchema,
} from './schema.js';
import { fieldError } from './source.js';

// Headers the remote storage clients own (config.go reservedHeaders).
const RESERVED_HEADERS = new Set([
  'host',
  'content-encoding',
  'content-length',
  'content-type',
  'user-agent',
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'www-authenticate',
  'accept-encoding',
  'x-prometheus-remote-write-version',
  'x-prometheus-remote-read-version',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
]);

/** validateHeaders / validateHeadersForTracing; `authReason` differs between the two. */
export function checkReservedHeaders(o: Obj, key: string, authReason: string): void {
  for (const header of Object.keys(o[key] as Record<string, string>)) {
    if (header.toLowerCase() === 'authorization') throw fieldError(o, key, authReason);
    if (RESERVED_HEADERS.has(header.toLowerCase())) {
      throw fieldError(o, key, `${header} is a reserved header. It must not be changed`);
    }
  }
}

const WRITE_MESSAGES = ['prometheus.WriteRequest', 'io.prometheus.write.v2.Request'];

const queueSchema: ObjectSchema = {
  type: 'config.QueueConfig',
  fields: [
    { name: 'capacity', kind: int, def: () => 10000 },
    { name: 'max_shards', kind: int, def: () => 50 },
    { name: 'min_shards', kind: int, def: () => 1 },
    { name: 'max_samples_per_send', kind: int, def: () => 2000 },
    { name: 'batch_send_deadline', kind: duration, def: () => 5000 },
    { name: 'min_backoff', kind: duration, def: () => 30 },
    { name: 'max_backoff', kind: duration, def: () => 5000 },
    { name: 'retry_on_http_429', kind: bool },
    { name: 'sample_age_limit', kind: duration },
  ],
  finish(o) {
    for (const key of ['capacity', 'max_shards', 'min_shards', 'max_samples_per_send']) {
      if ((o[key] as number) <= 0) throw fieldError(o, key, `${key} must be greater than 0`);
    }
    if ((o.min_shards as number) > (o.max_shards as number)) {
      throw fieldError(o, 'min_shards', 'min_shards must not be greater than max_shards');
    }
    if ((o.max_backoff as number) < (o.min_backoff as number)) {
      throw fieldError(o, 'max_backoff', 'max_backoff must not be less than min_backoff');
    }
  },
};

const metadataSchema: ObjectSchema = {
  type: 'config.MetadataConfig',
  fields: [
    { name: 'send', kind: bool, def: () => true, always: true },
    { name: 'send_interval', kind: duration, def: () => 60_000, always: true },
    { name: 'max_samples_per_send', kind: int, def: () => 2000 },
  ],
};

export const remoteWriteSchema: ObjectSchema = {
  type: 'config.RemoteWriteConfig',
  fields: [
    { name: 'url', kind: str, always: true },
    { name: 'remote_timeout', kind: duration, def: () => 30_000 },
    { name: 'headers', kind: map(str) },
    { name: 'write_relabel_configs', kind: list(object(relabelSchema)) },
    { name: 'name', kind: str },
    { name: 'send_exemplars', kind: bool },
    { name: 'send_native_histograms', kind: bool },
    { name: 'round_robin_dns', kind: bool },
    { name: 'protobuf_message', kind: str, def: () => WRITE_MESSAGES[0] },
    // Remote write defaults to HTTP/1.1 (DefaultRemoteWriteHTTPClientConfig).
    ...withDefault(httpClientFields, 'enable_http2', () => false),
    { name: 'queue_config', kind: object(queueSchema) },
    { name: 'metadata_config', kind: object(metadataSchema) },
    { name: 'sigv4', kind: raw, optional: true },
    { name: 'azuread', kind: raw, optional: true },
    { name: 'google_iam', kind: raw, optional: true },
  ],
  finish(o) {
    if (o.url === '') throw fieldError(o, 'url', 'url for remote_write is empty');
    checkURL(o, 'url', o.url as string);
    if ((o.write_relabel_configs as unknown[]).some((r) => r === null)) {
      throw fieldError(o, 'write_relabel_configs', 'empty or null relabeling rule in remote write config');
    }
    checkReservedHeaders(
      o,
      'headers',
      'authorization header must be changed via the basic_auth, authorization, oauth2, sigv4, azuread or google_iam parameter',
    );
    const msg = o.protobuf_message as string;
    if (!WRITE_MESSAGES.includes(msg)) {
      throw fieldError(
        o,
        'protobuf_message',
        `invalid protobuf_message value: unknown remote write protobuf message ${msg}, supported: ${WRITE_MESSAGES.join(', ')}`,
      );
    }
    validateHTTPClient(o);
    const auth = ['basic_auth', 'authorization', 'oauth2', 'sigv4', 'azuread', 'google_iam'].filter(
      (k) => o[k] !== undefined,
    );
    if (auth.length > 1) {
      throw fieldError(
        o,
        undefined,
        `at most one of basic_auth, authorization, oauth2, sigv4, azuread or google_iam must be configured. Currently configured: [${auth.join(' ')}]`,
      );
    }
  },
};

export const remoteReadSchema: ObjectSchema = {
  type: 'config.RemoteReadConfig',
  fields: [
    { name: 'url', kind: str, always: true },
    { name: 'remote_timeout', kind: duration, def: () => 60_000 },
    { name: 'chunked_read_limit', kind: uint, def: () => 5e7 },
    { name: 'headers', kind: map(str) },
    { name: 'read_recent', kind: bool },
    { name: 'name', kind: str },
    ...httpClientFields,
    { name: 'required_matchers', kind: map(str) },
    { name: 'filter_external_labels', kind: bool, def: () => true },
  ],
  finish(o) {
    if (o.url === '') throw fieldError(o, 'url', 'url for remote_read is empty');
    checkURL(o, 'url', o.url as string);
    checkReservedHeaders(
      o,
      'headers',
      'authorization header must be changed via the basic_auth, authorization, oauth2, sigv4, azuread or google_iam parameter',
    );
    validateHTTPClient(o);
  },
};

/** Null entries and duplicate names across a remote_write / remote_read list. */
export function checkRemoteList(owner: Obj, key: 'remote_write' | 'remote_read'): void {
  const kind = key === 'remote_write' ? 'remote write' : 'remote read';
  const names = new Set<string>();
  for (const c of owner[key] as Array<Obj | null>) {
    if (c === null) throw fieldError(owner, key, `empty or null ${kind} config section`);
    const name = c.name as string;
    if (name !== '' && names.has(name)) {
      throw fieldError(c, 'name', `found multiple ${kind} configs with job name ${JSON.stringify(name)}`);
    }
    names.add(name);
  }
}
