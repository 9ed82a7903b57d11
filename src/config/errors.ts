// Configuration errors carry the file, the position and the field path so a user can go straight to the
// offending line, as DESIGN.md section 6 asks.

export interface ConfigErrorLocation {
  file: string;
  line?: number;
  column?: number;
  /** Field path such as `scrape_configs[2].relabel_configs[0].regex`; empty for whole-document errors. */
  field: string;
}

export class ConfigError extends Error {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly field: string;
  /** The reason alone, without the location prefix. */
  readonly reason: string;

  constructor(loc: ConfigErrorLocation, reasonText: string) {
    // Bytes that were not valid UTF-8 are carried as lone surrogates U+DC80..U+DCFF (see schema.ts);
    // quoted by JSON.stringify they read "\udcff", shown here as Go shows them: "\xff".
    const reason = reasonText.replace(/\\udc([89a-f][0-9a-f])/g, '\\x$1');
    const where = loc.line !== undefined ? `${loc.file}:${loc.line}:${loc.column ?? 1}` : loc.file;
    super(loc.field !== '' ? `${where}: ${loc.field}: ${reason}` : `${where}: ${reason}`);
    this.name = 'ConfigError';
    this.file = loc.file;
    this.line = loc.line;
    this.column = loc.column;
    this.field = loc.field;
    this.reason = reason;
  }
}
