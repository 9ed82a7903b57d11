// What the benchmarks that run real servers share: child processes that die with the benchmark, the
// targets process (bench/scrape-targets.ts) and its line protocol, /proc readings, quantiles.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';

/** Linux clock ticks per second (USER_HZ; `getconf CLK_TCK`), the unit of /proc/<pid>/stat times. */
const CLK_TCK = 100;

const children = new Set<ChildProcess>();

/**
 * How the benchmarks start Promethium: `node`, the Node.js flags of the entry's `#!` line (as the
 * `promethium` command, `npm start` and the Dockerfile run it), then the entry, dist/src/cli/promethium.js.
 */
export function promethiumCommand(repoRoot: string): string[] {
  const entry = path.join(repoRoot, 'dist', 'src', 'cli', 'promethium.js');
  return [...entryNodeFlags(fs.readFileSync(entry, 'utf8')), entry];
}

/** The Node.js flags of a `#!/usr/bin/env -S node <flags>` line (none for `#!/usr/bin/env node`). */
export function entryNodeFlags(source: string): string[] {
  const m = /^#!\/usr\/bin\/env (?:-S )?node( [^\n]*)?\n/.exec(source);
  if (m === null) throw new Error('the entry does not start with a #!/usr/bin/env node line');
  return (m[1] ?? '').split(' ').filter((a) => a !== '');
}

/** Children die with the benchmark, however it ends. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

export function killAll(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

export function killAllOnExit(): void {
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The targets' process and its line protocol. */
/** What the targets saw since the last mark (see bench/scrape-targets.ts). */
export interface TargetsReport {
  requests: number;
  connections: number;
  /** Gaps between consecutive requests to one target, ms. */
  diffsMs: number[];
  /** Per target, the time from the mark to its first request and from its last one to the report, ms. */
  edgesMs: number[];
}

export class Targets {
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;

  private constructor(readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', (l) => {
      this.lines.push(l);
      this.waiter?.();
    });
  }

  static async start(
    script: string,
    count: number,
    series: number,
  ): Promise<{ targets: Targets; ports: number[] }> {
    const child = track(
      spawn(process.execPath, [script, String(count), String(series)], {
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    );
    const targets = new Targets(child);
    const { ports } = JSON.parse(await targets.nextLine()) as { ports: number[] };
    return { targets, ports };
  }

  async nextLine(): Promise<string> {
    const deadline = Date.now() + 30_000;
    while (this.lines.length === 0) {
      if (this.child.exitCode !== null) throw new Error('the targets process exited');
      if (Date.now() > deadline) throw new Error('the targets process did not answer');
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, 200);
      });
    }
    return this.lines.shift()!;
  }

  async mark(): Promise<void> {
    this.child.stdin!.write('mark\n');
    await this.nextLine();
  }

  async report(): Promise<TargetsReport> {
    this.child.stdin!.write('report\n');
    return JSON.parse(await this.nextLine()) as TargetsReport;
  }

  close(): void {
    this.child.stdin!.end();
  }
}

export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the command (which may contain spaces) start at the state, field 3
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime: fields 14 and 15
}

export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

export async function getText(url: string): Promise<string> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return res.text();
}

/** Sum of every sample of `name` in a /metrics text, whatever its labels. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'gm'))) sum += Number(m[1]);
  return sum;
}

export async function instantQuery(base: string, q: string): Promise<number> {
  const body = JSON.parse(await getText(`${base}/api/v1/query?query=${encodeURIComponent(q)}`)) as {
    data: { result: Array<{ value: [number, string] }> };
  };
  const r = body.data.result[0];
  return r === undefined ? NaN : Number(r.value[1]);
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))]!;
}

export function hasPrometheus(): boolean {
  return (process.env.PATH ?? '/usr/bin')
    .split(':')
    .some((dir) => fs.existsSync(path.join(dir, 'prometheus')));
}
