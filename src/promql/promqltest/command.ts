// `promethium-tool promqltest PATH...`: runs test scripts (files, or directories of *.test) and
// reports each failing eval, then one summary line.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runScriptFile, type EvalOutcome, type RunDeps } from './runner.js';

/** Expands paths: files as given, directories to their *.test files (sorted, not recursive). */
export function testFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) if (f.endsWith('.test')) out.push(join(p, f));
    } else out.push(p);
  }
  return out;
}

function oneLine(s: string, max = 2000): string {
  const t = s.replace(/\s*\n\s*/g, ' ');
  return t.length > max ? t.slice(0, max) + '…' : t;
}

export function formatFailure(o: EvalOutcome): string[] {
  const lines = [`${o.file}:${o.line}: ${o.expr}`];
  lines.push(`  expected: ${oneLine(o.expected)}`);
  lines.push(`  got:      ${oneLine(o.got)}`);
  if (o.error !== undefined) lines.push(`  error:    ${oneLine(o.error)}`);
  return lines;
}

/** Runs the command; returns the exit code (0 all passed, 1 failures, 2 usage). */
export async function promqltestCommand(
  paths: readonly string[],
  deps: () => RunDeps,
  io: { out: (line: string) => void; err: (line: string) => void },
): Promise<number> {
  if (paths.length === 0) {
    io.err("promethium-tool: error: required argument 'PATH' not provided, try --help");
    return 2;
  }
  let files: string[];
  try {
    files = testFiles(paths);
  } catch (err) {
    io.err(`promethium-tool: error: ${(err as Error).message}`);
    return 2;
  }
  let passed = 0;
  let failed = 0;
  for (const f of files) {
    let outcomes: EvalOutcome[];
    try {
      outcomes = await runScriptFile(f, deps());
    } catch (err) {
      outcomes = [
        { file: f, line: 0, expr: '', passed: false, expected: '', got: '', error: (err as Error).message },
      ];
    }
    for (const o of outcomes) {
      if (o.passed) passed++;
      else {
        failed++;
        for (const l of formatFailure(o)) io.out(l);
      }
    }
  }
  io.out(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}
