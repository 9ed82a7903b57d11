// Helpers for block tests: temp dirs, series built from samples, reading a querier back.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { Labels } from '../../../src/model/labels.js';
import type { Querier } from '../../../src/storage/interfaces.js';
import { Matcher } from '../../../src/model/matcher.js';
import { XORChunk } from '../../../src/tsdb/chunks/xor.js';
import type { BlockSeries, ChunkData } from '../../../src/tsdb/block/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

export function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-block-'));
  dirs.push(d);
  return d;
}

export const L = (rec: Record<string, string>): Labels => Labels.fromRecord(rec);

/** Chunks of at most `perChunk` samples from (t, v) pairs. */
export function chunksOf(samples: Array<[number, number]>, perChunk = 120): ChunkData[] {
  const out: ChunkData[] = [];
  let c = new XORChunk();
  for (const [t, v] of samples) {
    c.append(t, v);
    if (c.numSamples === perChunk) {
      out.push({ mint: c.minTime, maxt: c.maxTime, data: c.bytes().slice() });
      c = new XORChunk();
    }
  }
  if (c.numSamples > 0) out.push({ mint: c.minTime, maxt: c.maxTime, data: c.bytes().slice() });
  return out;
}

/** Samples t = from, from+step, ... < to with value f(t). */
export function samples(
  from: number,
  to: number,
  step: number,
  f: (t: number) => number = (t) => t / 1000,
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let t = from; t < to; t += step) out.push([t, f(t)]);
  return out;
}

export function series(
  labels: Record<string, string>,
  s: Array<[number, number]>,
  perChunk = 120,
): BlockSeries {
  return { labels: L(labels), chunks: chunksOf(s, perChunk) };
}

/** Everything a select returns, as plain data. */
export function readAll(
  q: Querier,
  matchers: Matcher[] = [new Matcher('=~', '__name__', '.+')],
): { series: Array<{ labels: string; t: number[]; v: number[] }>; warnings: readonly string[] } {
  const set = q.select(matchers);
  const out: Array<{ labels: string; t: number[]; v: number[] }> = [];
  for (const s of set) {
    const b = s.samples();
    out.push({
      labels: s.labels.toString(),
      t: [...b.t.subarray(0, b.length)],
      v: [...b.v.subarray(0, b.length)],
    });
  }
  return { series: out, warnings: set.warnings };
}
