// Loading prometheus.yml: the top-level schema and the steps of Prometheus's config.Load/LoadFile —
// read, default, validate every section, merge scrape_config_files, expand external labels — and
// finally reject what Promethium does not implement yet.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isSeq, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { alertingSchema, validateAlerting } from './alerting.js';
import { ConfigError } from './errors.js';
import { defaultGlobal, globalSchema, isZeroGlobal } from './global.js';
import { checkGlobPattern, glob, GlobPatternError } from './glob.js';
import { checkRemoteList, remoteReadSchema, remoteWriteSchema } from './remote.js';
import { validateRelabelList } from './relabel.js';
import { scrapeSchema, validateScrapeConfig } from './scrape.js';
import {
  joinDir,
  list,
  object,
  parseRoot,
  str,
  type Obj,
  type ObjectSchema,
  type ParseCtx,
} from './schema.js';
import {
  DEFAULT_GOGC,
  defaultTracing,
  otlpSchema,
  runtimeSchema,
  storageSchema,
  tracingSchema,
} from './sections.js';
import { fieldError, joinPath, metaOf, Source, type Unsupported } from './source.js';
import type { Config, GlobalConfig, ScrapeConfig } from './types.js';

const configSchema: ObjectSchema = {
  type: 'config.Config',
  fields: [
    { name: 'global', kind: object(globalSchema), def: defaultGlobal },
    { name: 'runtime', kind: object(runtimeSchema) },
    { name: 'alerting', kind: object(alertingSchema) },
    { name: 'rule_files', kind: list(str) },
    { name: 'scrape_config_files', kind: list(str) },
    { name: 'scrape_configs', kind: list(object(scrapeSchema)) },
    { name: 'storage', kind: object(storageSchema) },
    { name: 'tracing', kind: object(tracingSchema), def: defaultTracing },
    { name: 'remote_write', kind: list(object(remoteWriteSchema)) },
    { name: 'remote_read', kind: list(object(remoteReadSchema)) },
    { name: 'otlp', kind: object(otlpSchema) },
  ],
};

/** What a scrape_config_files file may contain. */
const scrapeConfigsSchema: ObjectSchema = {
  type: 'config.ScrapeConfigs',
  fields: [{ name: 'scrape_configs', kind: list(object(scrapeSchema)) }],
};

export { configSchema };

// A rule or scrape config file pattern may use `*` in its last path segment only.
const RULE_PATH = /^[^*]*(\*[^/]*)?$/;

export function readYaml(
  text: string,
  file: string,
  dir: string,
  unsupported: Unsupported[],
): { src: Source; doc: Document } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, customTags: ['binary'], merge: true, uniqueKeys: true });
  const src = new Source(file, dir, doc, lineCounter, unsupported);
  const err = doc.errors[0];
  if (err !== undefined) {
    const offset = err.pos[0];
    const reason =
      err.code === 'DUPLICATE_KEY'
        ? 'mapping key already defined'
        : err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw src.error(pathAtOffset(doc.contents, offset, ''), src.posOf(offset), reason);
  }
  return { src, doc };
}

/** The field path of the mapping key or sequence entry that starts at `offset` (for YAML errors). */
function pathAtOffset(node: Node | null | undefined, offset: number, prefix: string): string {
  if (!node) return prefix;
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      const name = isScalar(key) ? String(key.value) : '?';
      const p = joinPath(prefix, name);
      if (key?.range && key.range[0] === offset) return p;
      const value = pair.value as Node | null;
      if (value?.range && offset >= value.range[0] && offset < value.range[2])
        return pathAtOffset(value, offset, p);
    }
  } else if (isSeq(node)) {
    for (let i = 0; i < node.items.length; i++) {
      const item = node.items[i] as Node | null;
      if (item?.range && offset >= item.range[0] && offset < item.range[2]) {
        return pathAtOffset(item, offset, joinPath(prefix, i));
      }
    }
  }
  return prefix;
}

function checkPatterns(cfg: Obj, key: 'rule_files' | 'scrape_config_files', what: string, dir: string): void {
  const patterns = cfg[key] as string[];
  patterns.forEach((p, i) => {
    if (!RULE_PATH.test(p)) throw fieldError(cfg, key, `invalid ${what} path ${JSON.stringify(p)}`);
    patterns[i] = joinDir(dir, p);
  });
}

/** Go's os.Expand over the environment, with `$$` meaning a literal `$` (external label values). */
function expandEnv(value: string): string {
  return value.replace(/\$(?:\{([^}]*)\}|([A-Za-z0-9_]+)|([*#$@!?-]))/g, (_m, braced, plain, special) => {
    const name = (braced ?? plain ?? special) as string;
    if (name === '$') return '$';
    return process.env[name] ?? '';
  });
}

function validateJobs(jobs: Array<Obj | null>, owner: Obj, key: string, global: GlobalConfig): void {
  for (const job of jobs) {
    if (job === null) throw fieldError(owner, key, 'empty or null scrape config section');
    validateScrapeConfig(job, global);
  }
}

function loadScrapeConfigFiles(cfg: Config, unsupported: Unsupported[], mainObj: Obj): void {
  const firstFound = new Map<string, string>();
  for (const job of cfg.scrape_configs) firstFound.set(job.job_name, 'main config file');
  for (const pattern of cfg.scrape_config_files) {
    let files: string[];
    try {
      files = glob(pattern);
    } catch (err) {
      if (!(err instanceof GlobPatternError)) throw err;
      throw fieldError(
        mainObj,
        'scrape_config_files',
        `error retrieving scrape config files for ${JSON.stringify(pattern)}: ${err.message}`,
      );
    }
    for (const file of files) {
      const abs = path.resolve(file);
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        throw new ConfigError({ file: abs, field: '' }, (err as Error).message);
      }
      const { src, doc } = readYaml(text, abs, path.dirname(abs), unsupported);
      const ctx: ParseCtx = { src };
      const parsed = parseRoot(scrapeConfigsSchema, doc.contents as Node | null, ctx);
      const jobs = parsed.scrape_configs as Array<Obj | null>;
      validateJobs(jobs, parsed, 'scrape_configs', cfg.global);
      for (const job of jobs as Obj[]) {
        const name = job.job_name as string;
        const first = firstFound.get(name);
        if (first !== undefined) {
          throw fieldError(
            job,
            'job_name',
            `found multiple scrape configs with job name ${JSON.stringify(name)}, first found in ${first}`,
          );
        }
        firstFound.set(name, JSON.stringify(abs));
        cfg.scrape_configs.push(job as unknown as ScrapeConfig);
        cfg.scrape_config_origins[name] = abs;
      }
    }
  }
}

/** Features that load fine in Prometheus but that Promethium does not implement yet. */
function collectUnsupported(cfg: Config, unsupported: Unsupported[]): void {
  const add = (obj: object, key: string | undefined, reason: string): void => {
    const err = fieldError(obj, key, reason);
    const meta = metaOf(obj);
    if (meta)
      unsupported.push({
        src: meta.src,
        field: err.field,
        pos: { line: err.line ?? 0, column: err.column ?? 0 },
        reason,
      });
  };
  // OAuth2 client credentials are parsed and validated but no HTTP client fetches tokens yet: refused
  // rather than sending requests without the credentials
  const oauth2 = (o: Obj | undefined): void => {
    if (o !== undefined && o.oauth2 !== undefined && o.oauth2 !== null)
      add(o, 'oauth2', 'oauth2 is not supported yet by Promethium');
  };
  for (const job of cfg.scrape_configs as unknown as Obj[]) {
    oauth2(job);
    for (const sd of (job.http_sd_configs as Obj[] | undefined) ?? []) oauth2(sd);
  }
  for (const x of [...(cfg.remote_write as unknown as Obj[]), ...(cfg.remote_read as unknown as Obj[])])
    oauth2(x);
  for (const am of cfg.alerting.alertmanagers as unknown as Obj[]) oauth2(am);
  for (const rw of cfg.remote_write as unknown as Obj[]) {
    for (const key of ['sigv4', 'azuread', 'google_iam'])
      if (rw[key] !== undefined && rw[key] !== null)
        add(rw, key, `${key} is not supported yet by Promethium`);
  }
  if (cfg.tracing.endpoint !== '') add(cfg.tracing, 'endpoint', 'tracing is not supported yet by Promethium');
  for (const am of cfg.alerting.alertmanagers as unknown as Obj[]) {
    if (am.sigv4 !== undefined && am.sigv4 !== null)
      add(am, 'sigv4', 'SigV4 for Alertmanagers is not supported yet by Promethium');
  }
}

/** Parses and validates prometheus.yml text; relative paths resolve against `baseDir`. */
export function parseConfig(text: string, filename: string, baseDir: string): Config {
  const unsupported: Unsupported[] = [];
  const dir = path.resolve(baseDir);
  const { src, doc } = readYaml(text, filename, dir, unsupported);
  const root = parseRoot(configSchema, doc.contents as Node | null, { src });
  const cfg = root as unknown as Config;
  cfg.scrape_config_origins = {};

  // An explicitly empty `global:` or `runtime:` gets its defaults back (Config.UnmarshalYAML).
  if (isZeroGlobal(cfg.global)) cfg.global = defaultGlobal() as unknown as GlobalConfig;
  if (cfg.runtime.gogc === 0) cfg.runtime.gogc = DEFAULT_GOGC;

  checkPatterns(root, 'rule_files', 'rule file', dir);
  checkPatterns(root, 'scrape_config_files', 'scrape config file', dir);

  const jobs = root.scrape_configs as Array<Obj | null>;
  validateJobs(jobs, root, 'scrape_configs', cfg.global);
  const names = new Set<string>();
  for (const job of cfg.scrape_configs) {
    if (names.has(job.job_name)) {
      throw fieldError(
        job,
        'job_name',
        `found multiple scrape configs with job name ${JSON.stringify(job.job_name)}`,
      );
    }
    names.add(job.job_name);
  }

  const scheme = cfg.global.metric_name_validation_scheme;
  validateAlerting(cfg.alerting as unknown as Obj, scheme);
  checkRemoteList(root, 'remote_write');
  for (const rw of cfg.remote_write) {
    validateRelabelList(
      rw as unknown as Obj,
      'write_relabel_configs',
      scheme,
      'empty or null relabeling rule in remote write config',
    );
  }
  checkRemoteList(root, 'remote_read');

  for (const name of Object.keys(cfg.global.external_labels)) {
    cfg.global.external_labels[name] = expandEnv(cfg.global.external_labels[name]);
  }

  const strategy = cfg.otlp.translation_strategy;
  if (strategy === 'NoTranslation' || strategy === 'NoUTF8EscapingWithSuffixes') {
    if (scheme === 'legacy') {
      throw fieldError(
        cfg.otlp,
        'translation_strategy',
        `OTLP translation strategy ${JSON.stringify(strategy)} is not allowed when UTF8 is disabled`,
      );
    }
  } else if (
    strategy !== '' &&
    strategy !== 'UnderscoreEscapingWithSuffixes' &&
    strategy !== 'UnderscoreEscapingWithoutSuffixes'
  ) {
    throw fieldError(
      cfg.otlp,
      'translation_strategy',
      `unsupported OTLP translation strategy ${JSON.stringify(strategy)}`,
    );
  }

  loadScrapeConfigFiles(cfg, unsupported, root);

  collectUnsupported(cfg, unsupported);
  const first = unsupported[0];
  if (first !== undefined) throw first.src.error(first.field, first.pos, first.reason);
  // settings accepted but not acted on would warn here; every accepted setting acts at present
  cfg.warnings = [];
  return cfg;
}

/** Reads and validates a prometheus.yml file; relative paths resolve against its directory. */
export function loadConfigFile(file: string): Config {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError({ file, field: '' }, (err as Error).message);
  }
  return parseConfig(text, file, path.dirname(path.resolve(file)));
}

export { checkGlobPattern };
