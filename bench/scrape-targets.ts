// The targets of `npm run bench -- scrape`, run as their own process so that serving them costs the
// scraping server nothing: N HTTP endpoints on 127.0.0.1, each a node-exporter-like exporter of
// `series` series whose values move on every scrape. Each endpoint records when its requests arrive,
// so the spread of the actual scrape intervals is measured the same way for every server.
//
// Protocol (lines): prints {"ports": [...]} once listening; on stdin, "mark" forgets the arrival
// times so far, "report" prints {"requests": n, "connections": n, "diffsMs": [...]}: requests and
// TCP connections since the mark, and per target the gaps between consecutive requests. Exits when stdin closes (the benchmark ended or died).
import http from 'node:http';
import type net from 'node:net';
import readline from 'node:readline';
import { formatGoFloat } from '../src/model/exposition/writer.js';
import { nodeExporterSeries, prng } from './tsdb-block.js';

const [countArg, seriesArg] = process.argv.slice(2);
const TARGETS = Number(countArg ?? 100);
const SERIES = Number(seriesArg ?? 1000);

interface Family {
  header: string;
  /** Indices into the series, in exposition order. */
  members: number[];
}

const series = nodeExporterSeries(SERIES);
// exposition text of each series without its target labels: the scraper adds instance and job
const prefixes = series.map((s) => {
  const pairs: string[] = [];
  s.labels.forEach((n, v) => {
    if (n !== '__name__' && n !== 'instance' && n !== 'job') pairs.push(`${n}=${JSON.stringify(v)}`);
  });
  const name = s.labels.get('__name__')!;
  return pairs.length === 0 ? `${name} ` : `${name}{${pairs.join(',')}} `;
});
const families = new Map<string, Family>();
series.forEach((s, i) => {
  const name = s.labels.get('__name__')!;
  let f = families.get(name);
  if (f === undefined) {
    const type = name.endsWith('_total') ? 'counter' : 'gauge';
    f = { header: `# HELP ${name} Benchmark series ${name}.\n# TYPE ${name} ${type}\n`, members: [] };
    families.set(name, f);
  }
  f.members.push(i);
});

class Target {
  private readonly values = Float64Array.from(series, (s) => s.start);
  private readonly rnd: () => number;
  arrivals: number[] = [];
  connections = 0;

  constructor(seed: number) {
    this.rnd = prng(seed);
  }

  body(): string {
    let out = '';
    for (const f of families.values()) {
      out += f.header;
      for (const i of f.members) {
        this.values[i] = series[i]!.step(this.values[i]!, this.rnd);
        out += prefixes[i] + formatGoFloat(this.values[i]!) + '\n';
      }
    }
    return out;
  }
}

const targets: Target[] = [];
const servers: http.Server[] = [];
const ports: number[] = [];
for (let i = 0; i < TARGETS; i++) {
  const t = new Target(i + 1);
  targets.push(t);
  const srv = http.createServer((req, res) => {
    t.arrivals.push(performance.now());
    const body = t.body();
    res.writeHead(200, {
      'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  // node_exporter's Go server keeps idle connections open (no IdleTimeout); Node's default closes
  // them after 5 s, which would make every 5 s scrape reconnect whatever the scraper does
  srv.keepAliveTimeout = 0;
  srv.on('connection', () => t.connections++);
  servers.push(srv);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  ports.push((srv.address() as net.AddressInfo).port);
}
process.stdout.write(JSON.stringify({ ports }) + '\n');

const rl = readline.createInterface({ input: process.stdin });
let markedAt = performance.now();
rl.on('line', (line) => {
  if (line === 'mark') {
    markedAt = performance.now();
    for (const t of targets) {
      t.arrivals = [];
      t.connections = 0;
    }
    process.stdout.write('{"marked": true}\n');
  } else if (line === 'report') {
    let requests = 0;
    let connections = 0;
    const diffsMs: number[] = [];
    // per target: time from the mark to its first request and from its last request to now (or the
    // whole span when it saw none), so that missed scrapes at the window's edges count too
    const edgesMs: number[] = [];
    const now = performance.now();
    for (const t of targets) {
      requests += t.arrivals.length;
      connections += t.connections;
      for (let i = 1; i < t.arrivals.length; i++) diffsMs.push(t.arrivals[i]! - t.arrivals[i - 1]!);
      if (t.arrivals.length === 0) edgesMs.push(now - markedAt, 0);
      else edgesMs.push(t.arrivals[0]! - markedAt, now - t.arrivals[t.arrivals.length - 1]!);
    }
    process.stdout.write(JSON.stringify({ requests, connections, diffsMs, edgesMs }) + '\n');
  }
});
rl.on('close', () => process.exit(0));
