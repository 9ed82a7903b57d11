// Benchmark output as DESIGN.md §8 asks: one line per figure on stdout, and the same figures in
// bench/results/<area>.json with date, Node.js version and CPU model.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Figure {
  value: number;
  unit: string;
}

export class BenchReport {
  private readonly figures: Record<string, Figure> = {};

  constructor(readonly area: string) {}

  add(name: string, value: number, unit: string): void {
    this.figures[name] = { value, unit };
    process.stdout.write(`${name} ${formatValue(value)} ${unit}\n`);
  }

  /** Writes bench/results/<area>.json relative to the repository root. */
  write(repoRoot: string): string {
    const dir = path.join(repoRoot, 'bench', 'results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${this.area}.json`);
    const doc = {
      date: new Date().toISOString(),
      node: process.version,
      cpu: `${os.cpus()[0]?.model ?? 'unknown'} x${os.availableParallelism()}`,
      figures: this.figures,
    };
    fs.writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
    return file;
  }
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}
