#!/usr/bin/env node
// `promethium-tool`: the promtool of Promethium. Subcommands as promtool names them.
import { checkConfigFiles } from './check-config.js';
import { testRuleFiles, type TestRulesOptions } from './test-rules.js';
import { checkRuleFiles, DEFAULT_RULES_LINT, rulesExitCode, type RulesLint } from './check-rules.js';
import { createBlocksFromOpenMetrics } from './create-blocks.js';
import { exportBlocks } from './export-blocks.js';
import { analyze, DEFAULT_DUMP_MATCH, dump, dumpOpenMetrics, list } from './tsdb-tools.js';
import { parseDuration } from '../model/duration.js';
import { readBuildInfo } from './build-info.js';

const USAGE = `usage: promethium-tool <command> [<args> ...]

Tooling for the Promethium monitoring system.

Commands:
  help
    Show help.

  check config [<flags>] <config-files>...
    Check if the config files are valid or not.
      --[no-]syntax-only  Only check the config file syntax, ignoring file and content validation referenced in the config
      --lint="duplicate-rules"  Linting checks to apply to the rules specified in the config. Available options are: all, duplicate-rules, none.
      --[no-]lint-fatal   Make lint errors exit with exit code 3.

  check rules [<flags>] <rule-files>...
    Check if the rule files are valid or not.
      --lint="duplicate-rules"  Linting checks to apply. Available options are: all, duplicate-rules, none.
      --[no-]lint-fatal   Make lint errors exit with exit code 3.
      --[no-]ignore-unknown-fields  Ignore unknown fields in the rule files.

  test rules [<flags>] <test-rule-file>...
    Unit tests for rules.
      --run=RUN ...       If set, will only run test groups whose names match the regular expression. Can be specified multiple times.
      --[no-]ignore-unknown-fields  Ignore unknown fields in the rule files.

  promqltest <path>...
    Run PromQL test scripts (files, or directories of *.test files) and report failing evals.

  tsdb create-blocks-from [<flags>] openmetrics [<flags>] <input file> [<output directory>]
    Import samples from OpenMetrics input (every sample with a timestamp) and produce TSDB blocks.
      -r, --[no-]human-readable   Print human readable values.
      -q, --[no-]quiet            Do not print created blocks.
      --max-block-duration=2h     Maximum duration created blocks may span. Anything less than 2h is ignored.
      --label=name=value ...      Label to attach to metrics (after openmetrics). Can be specified multiple times.
    The output directory defaults to data/.

  tsdb list [<flags>] [<db path>]
    List tsdb blocks.
      -r, --[no-]human-readable  Print human readable values.

  tsdb dump [<flags>] [<db path>]
    Dump data (series+samples or optionally just series) from a TSDB.
      --min-time=-9223372036854775808  Minimum timestamp to dump, in milliseconds since the Unix epoch.
      --max-time=9223372036854775807   Maximum timestamp to dump, in milliseconds since the Unix epoch.
      --match={__name__=~'(?s:.*)'} ...  Series selector. Can be specified multiple times.
      --format=prom              Output format of the dump (prom (default) or seriesjson).

  tsdb dump-openmetrics [<flags>] [<db path>]
    [Experimental] Dump samples from a TSDB into OpenMetrics text format, excluding native histograms.
      --min-time, --max-time, --match as for dump.
    The db path defaults to data/; the head is read from the WAL without changing the directory.

  tsdb analyze [<flags>] [<db path>] [<block id>]
    Analyze churn and label pair cardinality (of the last block unless one is named).
      --limit=20                 How many items to show in each list.
      --match=MATCH              Series selector to analyze. Only 1 set of matchers is supported now.

  tsdb export-blocks <data directory> <output directory>
    Write every block of a Promethium data directory in Prometheus's block format (meta.json, index,
    chunks/, tombstones) under <output directory>/<ULID>/, for promtool tsdb, Prometheus or Thanos.
`;

function main(argv: string[]): number | Promise<number> {
  const [cmd, sub, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    process.stdout.write(USAGE);
    return cmd === undefined ? 1 : 0;
  }
  if (cmd === '--version') {
    const b = readBuildInfo();
    process.stdout.write(
      `promethium-tool, version ${b.version} (branch: ${b.branch}, revision: ${b.revision})\n`,
    );
    return 0;
  }
  if (cmd === 'check' && (sub === 'config' || sub === 'rules')) {
    let syntaxOnly = false;
    const lint: RulesLint = { ...DEFAULT_RULES_LINT };
    const files: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const arg = rest[i];
      if (sub === 'config' && arg === '--syntax-only') syntaxOnly = true;
      else if (sub === 'config' && arg === '--no-syntax-only') syntaxOnly = false;
      else if (arg === '--lint-fatal') lint.fatal = true;
      else if (arg === '--no-lint-fatal') lint.fatal = false;
      else if (arg === '--ignore-unknown-fields') lint.ignoreUnknownFields = true;
      else if (arg.startsWith('--lint=')) lint.lint = arg.slice('--lint='.length);
      else if (arg === '--lint') lint.lint = rest[++i] ?? '';
      else if (arg.startsWith('-')) return usageError(`unknown long flag '${arg}'`);
      else files.push(arg);
    }
    const io = {
      out: (line: string) => process.stdout.write(line + '\n'),
      err: (line: string) => process.stderr.write(line + '\n'),
    };
    if (sub === 'rules') {
      if (files.length === 0) return usageError("required argument 'rule-files' not provided");
      return rulesExitCode(checkRuleFiles(files, lint, io), lint.fatal);
    }
    if (files.length === 0) return usageError("required argument 'config-files' not provided");
    return checkConfigFiles(files, syntaxOnly, io, lint);
  }
  if (cmd === 'test' && sub === 'rules') {
    const o: TestRulesOptions = { run: [], ignoreUnknownFields: false };
    const files: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const arg = rest[i];
      if (arg.startsWith('--run=')) o.run.push(arg.slice('--run='.length));
      else if (arg === '--run') o.run.push(rest[++i] ?? '');
      else if (arg === '--ignore-unknown-fields') o.ignoreUnknownFields = true;
      else if (arg === '--no-ignore-unknown-fields') o.ignoreUnknownFields = false;
      else if (arg.startsWith('-')) return usageError(`unknown long flag '${arg}'`);
      else files.push(arg);
    }
    if (files.length === 0) return usageError("required argument 'test-rule-file' not provided");
    return testRuleFiles(files, o, {
      out: (line) => process.stdout.write(line + '\n'),
      err: (line) => process.stderr.write(line + '\n'),
    });
  }
  if (cmd === 'tsdb' && sub === 'create-blocks-from') return createBlocks(rest);
  if (cmd === 'tsdb' && (sub === 'list' || sub === 'dump' || sub === 'dump-openmetrics'))
    return tsdbRead(sub, rest);
  if (cmd === 'tsdb' && sub === 'analyze') return tsdbAnalyze(rest);
  if (cmd === 'tsdb' && sub === 'export-blocks') {
    if (rest.length !== 2) return usageError('tsdb export-blocks needs <data directory> <output directory>');
    try {
      for (const m of exportBlocks(rest[0], rest[1]))
        process.stdout.write(
          `${m.ulid} ${m.minTime} ${m.maxTime} ${m.stats.numSeries} series ${m.stats.numSamples} samples\n`,
        );
      return 0;
    } catch (err) {
      process.stderr.write(`export blocks: ${(err as Error).message}\n`);
      return 1;
    }
  }
  if (cmd === 'promqltest') return promqltest(argv.slice(1));
  return usageError(`expected command but got "${[cmd, sub].filter(Boolean).join(' ')}"`);
}

/** tsdb analyze [--limit=N] [--match=SELECTOR] [DIR] [BLOCK]. */
function tsdbAnalyze(args: string[]): number {
  let limit = 20;
  let match: string | undefined;
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (): string => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : (args[++i] ?? ''));
    if (a.startsWith('--limit')) {
      const v = value();
      if (!/^\d+$/.test(v)) return usageError(`invalid value "${v}" for flag --limit`);
      limit = Number(v);
    } else if (a.startsWith('--match')) match = value();
    else if (a === '--extended') return usageError('--extended is not supported yet');
    else if (a.startsWith('-')) return usageError(`unknown long flag '${a}'`);
    else positional.push(a);
  }
  if (positional.length > 2) return usageError(`unexpected ${positional[2]}`);
  try {
    analyze(
      positional[0] ?? 'data/',
      { blockId: positional[1], limit, match },
      (l) => void process.stdout.write(l + '\n'),
    );
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
}

/** tsdb list, dump and dump-openmetrics over a data directory. */
function tsdbRead(sub: 'list' | 'dump' | 'dump-openmetrics', args: string[]): number {
  let humanReadable = false;
  let mint = Number.MIN_SAFE_INTEGER;
  let maxt = Number.MAX_SAFE_INTEGER;
  const match: string[] = [];
  let format: 'prom' | 'seriesjson' = 'prom';
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (): string => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : (args[++i] ?? ''));
    const time = (what: string): number | string => {
      const v = value();
      // promtool's int64 flags; beyond JS's safe integers a bound is as good as unbounded
      if (!/^-?\d+$/.test(v)) return `invalid value "${v}" for flag --${what}`;
      return Math.max(Number.MIN_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, Number(v)));
    };
    if (sub === 'list' && (a === '-r' || a === '--human-readable')) humanReadable = true;
    else if (sub === 'list' && a === '--no-human-readable') humanReadable = false;
    else if (sub !== 'list' && a.startsWith('--min-time')) {
      const t = time('min-time');
      if (typeof t === 'string') return usageError(t);
      mint = t;
    } else if (sub !== 'list' && a.startsWith('--max-time')) {
      const t = time('max-time');
      if (typeof t === 'string') return usageError(t);
      maxt = t;
    } else if (sub !== 'list' && a.startsWith('--match')) match.push(value());
    else if (sub === 'dump' && a.startsWith('--format')) {
      const f = value();
      if (f !== 'prom' && f !== 'seriesjson')
        return usageError(`enum value must be one of prom,seriesjson, got '${f}'`);
      format = f;
    } else if (a.startsWith('-')) return usageError(`unknown long flag '${a}'`);
    else positional.push(a);
  }
  if (positional.length > 1) return usageError(`unexpected ${positional[1]}`);
  const dir = positional[0] ?? 'data/';
  const out = (line: string): void => void process.stdout.write(line + '\n');
  try {
    if (sub === 'list') list(dir, humanReadable, out);
    else if (sub === 'dump')
      dump(dir, { mint, maxt, match: match.length > 0 ? match : [DEFAULT_DUMP_MATCH], format }, out);
    else dumpOpenMetrics(dir, { mint, maxt, match: match.length > 0 ? match : [DEFAULT_DUMP_MATCH] }, out);
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
}

function createBlocks(args: string[]): number {
  let humanReadable = false;
  let quiet = false;
  let maxBlockDuration: number | undefined;
  const labels: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (): string => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : (args[++i] ?? ''));
    if (a === '-r' || a === '--human-readable') humanReadable = true;
    else if (a === '-q' || a === '--quiet') quiet = true;
    else if (a.startsWith('--max-block-duration')) {
      try {
        maxBlockDuration = parseDuration(value());
      } catch (err) {
        return usageError(`invalid value for --max-block-duration: ${(err as Error).message}`);
      }
    } else if (a.startsWith('--label')) {
      const kv = value();
      const eq = kv.indexOf('=');
      if (eq <= 0) return usageError(`--label expects name=value, got "${kv}"`);
      labels[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else if (a.startsWith('-')) return usageError(`unknown long flag '${a}'`);
    else positional.push(a);
  }
  if (positional[0] !== 'openmetrics')
    return usageError(`expected command "openmetrics" but got "${positional[0] ?? ''}"`);
  const [, input, outputDir = 'data/'] = positional;
  if (input === undefined) return usageError("required argument 'input file' not provided");
  try {
    createBlocksFromOpenMetrics({
      input,
      outputDir,
      maxBlockDuration,
      humanReadable,
      quiet,
      labels,
      out: (line) => process.stdout.write(line + '\n'),
    });
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
}

async function promqltest(args: string[]): Promise<number> {
  const unknown = args.find((a) => a.startsWith('-'));
  if (unknown !== undefined) {
    process.stderr.write(`promethium-tool: error: unknown long flag '${unknown}', try --help\n`);
    return 2;
  }
  // Loaded on demand: the other commands do not need the PromQL engine.
  const { promqltestCommand } = await import('../promql/promqltest/command.js');
  const { defaultDeps } = await import('../promql/promqltest/defaults.js');
  return promqltestCommand(args, defaultDeps, {
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
  });
}

function usageError(message: string): number {
  process.stderr.write(`promethium-tool: error: ${message}, try --help\n`);
  return 1;
}

void Promise.resolve(main(process.argv.slice(2))).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`promethium-tool: error: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
