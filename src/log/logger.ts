// Structured logging in Prometheus's shape: logfmt by default (`time=... level=INFO msg="..." k=v`),
// JSON with --log.format=json. Levels as in Prometheus: debug, info, warn, error.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'logfmt' | 'json';
export type LogFields = Record<string, unknown>;

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
export const LOG_FORMATS: readonly LogFormat[] = ['logfmt', 'json'];

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line, e.g. `{ component: 'web' }`. */
  with(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  write?: (line: string) => void;
}

function fieldText(v: unknown): string {
  if (v instanceof Error) return v.message;
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

function logfmtValue(v: unknown): string {
  const s = fieldText(v);
  return s === '' || /[\s"=\\]/.test(s) || /[^\x20-\x7e]/.test(s) ? JSON.stringify(s) : s;
}

export function createLogger(opts: LoggerOptions, bound: LogFields = {}): Logger {
  const min = LEVEL_RANK[opts.level];
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (LEVEL_RANK[level] < min) return;
    const all: LogFields = { ...bound, ...fields };
    const time = new Date().toISOString();
    if (opts.format === 'json') {
      const obj: Record<string, unknown> = { time, level: level.toUpperCase(), msg };
      for (const [k, v] of Object.entries(all)) obj[k] = v instanceof Error ? v.message : v;
      write(JSON.stringify(obj));
      return;
    }
    let line = `time=${time} level=${level.toUpperCase()} msg=${logfmtValue(msg)}`;
    for (const [k, v] of Object.entries(all)) line += ` ${k}=${logfmtValue(v)}`;
    write(line);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    with: (fields) => createLogger(opts, { ...bound, ...fields }),
  };
}
