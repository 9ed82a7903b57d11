// The query clients of `npm run bench -- query-load`, as their own process so that their work never
// slows the benchmark's own probes: N clients, each sending range queries one after another (the
// answers read as bytes, never parsed) until stdin closes; then it prints
// {"completed": n, "failed": n, "bytes": n, "latenciesMs": [...]} and exits.
import readline from 'node:readline';

const [base, clientsArg, queriesArg, rangeArg, stepArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const queries = JSON.parse(queriesArg!) as string[];
const rangeS = Number(rangeArg);
const stepS = Number(stepArg);

let running = true;
let completed = 0;
let failed = 0;
let bytes = 0;
const latenciesMs: number[] = [];

async function client(index: number): Promise<void> {
  let n = index;
  while (running) {
    const end = Date.now() / 1000;
    const q = queries[n++ % queries.length]!;
    const url =
      `${base}/api/v1/query_range?query=${encodeURIComponent(q)}` +
      `&start=${(end - rangeS).toFixed(3)}&end=${end.toFixed(3)}&step=${stepS}`;
    const t0 = performance.now();
    try {
      const res = await fetch(url);
      const body = await res.arrayBuffer();
      if (!running) break;
      if (res.status === 200) {
        completed++;
        bytes += body.byteLength;
        latenciesMs.push(performance.now() - t0);
      } else {
        failed++;
      }
    } catch {
      if (running) failed++;
    }
  }
}

const all = Array.from({ length: clients }, (_, i) => client(i));
process.stdout.write('{"started": true}\n');
readline.createInterface({ input: process.stdin }).on('close', () => {
  running = false;
  // answers still in flight are not counted: the window is over
  process.stdout.write(JSON.stringify({ completed, failed, bytes, latenciesMs }) + '\n');
  void Promise.race([Promise.all(all), new Promise((r) => setTimeout(r, 100))]).then(() => process.exit(0));
});
