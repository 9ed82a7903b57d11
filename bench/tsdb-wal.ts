// WAL figures for `npm run bench -- tsdb`: encoding and logging samples records of 1,000
// node-exporter-like samples (one scrape per record, as a commit writes them), and replaying them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Labels } from '../src/model/labels.js';
import { STALE_NAN } from '../src/model/value.js';
import { WAL } from '../src/tsdb/wal/wal.js';
import { replay } from '../src/tsdb/wal/replay.js';
import {
  RecordType,
  SampleColumns,
  decodeSamples,
  decodeSeries,
  encodeSamples,
  encodeSeries,
} from '../src/tsdb/wal/records.js';
import type { BenchReport } from './report.js';

const SERIES = 1000;
let sink = 0;

/** Values of one scrape at step `k`: counters that grow, gauges that wander, a few stale markers. */
function scrapeValues(k: number, out: Float64Array): void {
  for (let i = 0; i < SERIES; i++) {
    if (i < 256) out[i] = 12345.67 + i * 3.1 + k * 0.37 * ((i % 8) + 1);
    else if (i < 500) out[i] = 1.2345e10 + i * 4096 + k * 8192 * (i % 5);
    else if (i < 800) out[i] = 5.4321e11 - i * 1e6 - (k % 7) * 4096;
    else if (i === 999 && k % 50 === 0) out[i] = STALE_NAN;
    else out[i] = 1.6e10 + i + Math.sin(k + i) * 1e6;
  }
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export async function benchWal(report: BenchReport): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-bench-wal-'));
  try {
    const refs = Array.from({ length: SERIES }, (_, i) => 1 + i);
    const ts = new Array<number>(SERIES);
    const vs = new Float64Array(SERIES);
    const scrapes = 64;
    const valueSets = Array.from({ length: scrapes }, (_, k) => {
      const v = new Float64Array(SERIES);
      scrapeValues(k, v);
      return v;
    });

    // encode only
    let n = 0;
    let t0 = process.hrtime.bigint();
    let bytes = 0;
    while (seconds(t0) < 1) {
      for (let k = 0; k < scrapes; k++, n++) {
        ts.fill(1_700_000_000_000 + n * 15_000);
        const rec = encodeSamples(refs, ts, valueSets[k], SERIES);
        bytes += rec.length;
      }
    }
    let el = seconds(t0);
    report.add('wal_samples_encode_ns_per_sample', (el * 1e9) / (n * SERIES), 'ns');
    report.add('wal_samples_record_bytes_per_sample', bytes / (n * SERIES), 'bytes');

    // encode + log (one write per commit), as the head's commit does
    const wal = WAL.open(dir);
    for (let k = 0; k < 50; k++) {
      wal.log(
        encodeSeries(
          refs.slice(k * 20, k * 20 + 20),
          refs
            .slice(k * 20, k * 20 + 20)
            .map((r) => Labels.fromRecord({ __name__: 'node_metric', id: String(r) })),
        ),
      );
    }
    n = 0;
    t0 = process.hrtime.bigint();
    while (seconds(t0) < 2) {
      for (let k = 0; k < scrapes; k++, n++) {
        ts.fill(1_700_000_000_000 + n * 15_000);
        vs.set(valueSets[k]);
        wal.log(encodeSamples(refs, ts, vs, SERIES));
      }
    }
    el = seconds(t0);
    wal.close();
    const logged = n * SERIES;
    report.add('wal_encode_log_samples_per_sec', logged / el, 'samples/s');
    report.add('wal_encode_log_ns_per_sample', (el * 1e9) / logged, 'ns');

    // replay: read, checksum, decode every record
    const cols = new SampleColumns(SERIES);
    let samples = 0;
    let series = 0;
    t0 = process.hrtime.bigint();
    const res = replay(dir, (rec) => {
      if (rec[0] === RecordType.Samples) {
        const m = decodeSamples(rec, cols);
        samples += m;
        sink += cols.vs[m - 1];
      } else if (rec[0] === RecordType.Series) {
        series += decodeSeries(rec).length;
      }
    });
    el = seconds(t0);
    if (samples !== logged || series !== SERIES || res.corruptions !== 0) {
      throw new Error(
        `replay mismatch: ${samples}/${logged} samples, ${series} series, ${res.corruptions} corruptions`,
      );
    }
    report.add('wal_replay_samples_per_sec', samples / el, 'samples/s');
    report.add('wal_replay_mb_per_sec', res.bytes / el / 1e6, 'MB/s');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (sink === 42) process.stdout.write('\n');
}
