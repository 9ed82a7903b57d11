#!/usr/bin/env node
// `promethium-tool`: the promtool of Promethium. Subcommands as promtool names them.
import { checkConfigFiles } from './check-config.js';
import { readBuildInfo } from './build-info.js';

const USAGE = `usage: promethium-tool <command> [<args> ...]

Tooling for the Promethium monitoring system.

Commands:
  help
    Show help.

  check config [<flags>] <config-files>...
    Check if the config files are valid or not.
      --[no-]syntax-only  Only check the config file syntax, ignoring file and content validation referenced in the config
`;

function main(argv: string[]): number {
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
  if (cmd === 'check' && sub === 'config') {
    let syntaxOnly = false;
    const files: string[] = [];
    for (const arg of rest) {
      if (arg === '--syntax-only') syntaxOnly = true;
      else if (arg === '--no-syntax-only') syntaxOnly = false;
      else if (arg.startsWith('-')) return usageError(`unknown long flag '${arg}'`);
      else files.push(arg);
    }
    if (files.length === 0) return usageError("required argument 'config-files' not provided");
    return checkConfigFiles(files, syntaxOnly, {
      out: (line) => process.stdout.write(line + '\n'),
      err: (line) => process.stderr.write(line + '\n'),
    });
  }
  return usageError(`expected command but got "${[cmd, sub].filter(Boolean).join(' ')}"`);
}

function usageError(message: string): number {
  process.stderr.write(`promethium-tool: error: ${message}, try --help\n`);
  return 1;
}

process.exitCode = main(process.argv.slice(2));
