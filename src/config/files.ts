// The files a configuration points at: for `promtool check config`-style checks and rule loading.
import * as path from 'node:path';
import { glob } from './glob.js';
import type { Config, HTTPClientConfig, ScrapeConfig, TLSConfig } from './types.js';

export type ReferencedFileKind = 'rule_file' | 'scrape_config_file' | 'file_sd' | 'tls' | 'credentials';

export interface ReferencedFile {
  field: string;
  kind: ReferencedFileKind;
  path: string;
}

function tlsFiles(out: ReferencedFile[], field: string, tls: TLSConfig): void {
  for (const key of ['ca_file', 'cert_file', 'key_file'] as const) {
    if (tls[key] !== '') out.push({ field: `${field}.${key}`, kind: 'tls', path: tls[key] });
  }
}

function httpFiles(out: ReferencedFile[], field: string, c: HTTPClientConfig): void {
  const at = (k: string): string => (field === '' ? k : `${field}.${k}`);
  tlsFiles(out, at('tls_config'), c.tls_config);
  if (c.basic_auth?.password_file) {
    out.push({
      field: at('basic_auth.password_file'),
      kind: 'credentials',
      path: c.basic_auth.password_file,
    });
  }
  if (c.basic_auth?.username_file) {
    out.push({
      field: at('basic_auth.username_file'),
      kind: 'credentials',
      path: c.basic_auth.username_file,
    });
  }
  if (c.authorization?.credentials_file) {
    out.push({
      field: at('authorization.credentials_file'),
      kind: 'credentials',
      path: c.authorization.credentials_file,
    });
  }
  if (c.bearer_token_file)
    out.push({ field: at('bearer_token_file'), kind: 'credentials', path: c.bearer_token_file });
  if (c.oauth2) {
    if (c.oauth2.client_secret_file) {
      out.push({
        field: at('oauth2.client_secret_file'),
        kind: 'credentials',
        path: c.oauth2.client_secret_file,
      });
    }
    tlsFiles(out, at('oauth2.tls_config'), c.oauth2.tls_config);
  }
}

function jobFiles(out: ReferencedFile[], field: string, job: ScrapeConfig): void {
  httpFiles(out, field, job);
  job.file_sd_configs.forEach((sd, i) =>
    sd.files.forEach((f, j) =>
      out.push({ field: `${field}.file_sd_configs[${i}].files[${j}]`, kind: 'file_sd', path: f }),
    ),
  );
  job.kubernetes_sd_configs.forEach((sd, i) => {
    const at = `${field}.kubernetes_sd_configs[${i}]`;
    httpFiles(out, at, sd);
    if (sd.kubeconfig_file)
      out.push({ field: `${at}.kubeconfig_file`, kind: 'credentials', path: sd.kubeconfig_file });
  });
  job.http_sd_configs.forEach((sd, i) => httpFiles(out, `${field}.http_sd_configs[${i}]`, sd));
}

/** Every file the configuration names, with absolute paths (rule_files entries may be globs). */
export function referencedFiles(cfg: Config): ReferencedFile[] {
  const out: ReferencedFile[] = [];
  cfg.rule_files.forEach((p, i) =>
    out.push({ field: `rule_files[${i}]`, kind: 'rule_file', path: path.resolve(p) }),
  );
  cfg.scrape_config_files.forEach((p, i) =>
    out.push({ field: `scrape_config_files[${i}]`, kind: 'scrape_config_file', path: path.resolve(p) }),
  );
  cfg.scrape_configs.forEach((job, i) => jobFiles(out, `scrape_configs[${i}]`, job));
  return out.map((r) => ({ ...r, path: path.resolve(r.path) }));
}

/** rule_files expanded to the files that exist (Go's filepath.Glob; no `**`), in order, deduplicated. */
export function expandRuleFiles(cfg: Config): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const pattern of cfg.rule_files) {
    for (const f of glob(pattern)) {
      if (!seen.has(f)) {
        seen.add(f);
        out.push(f);
      }
    }
  }
  return out;
}
