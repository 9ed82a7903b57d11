// Prometheus's promqltest scripts evaluated the way the server's query workers evaluate: the engine
// announces its selects, a snapshot answers them with packed XOR chunks (built here from the script's
// data, as the TSDB's head builds them), and every select is served from it. Each file must pass at
// least as many evals as the in-process baseline (test/promql/promqltest/baseline.json).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScriptFile, summarise, type RunDeps } from '../../src/promql/promqltest/runner.js';
import { defaultDeps } from '../../src/promql/promqltest/defaults.js';
import type { HistogramSample, Queryable } from '../../src/storage/interfaces.js';
import { XORChunk } from '../../src/tsdb/chunks/xor.js';
import { ENC_XOR2, XOR2Chunk } from '../../src/tsdb/chunks/xor2.js';
import { HistogramPart } from '../../src/tsdb/head-histograms.js';
import { BlockCache, SnapshotQueryable } from '../../src/tsdb/snapshot-queryable.js';
import { matchersOf, type PackedHeadSeries, type SelectSpec } from '../../src/tsdb/snapshot.js';
import { conformanceFixtures } from '../support/conformance.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const baselineFile = path.resolve(here, '../promql/promqltest/baseline.json');
const fixtures = conformanceFixtures('promqltest', "Prometheus's promqltest scripts through query snapshots");

/** The series `store` answers for one select, packed as a snapshot packs the head: XOR chunks of 120. */
function pack(store: Queryable, spec: SelectSpec): PackedHeadSeries {
  const strings: string[] = [];
  const ids = new Map<string, number>();
  const id = (s: string): number => {
    if (!ids.has(s)) {
      ids.set(s, strings.length);
      strings.push(s);
    }
    return ids.get(s)!;
  };
  const labels: number[] = [];
  const chunks: number[] = [];
  const parts: Uint8Array[] = [];
  let bytes = 0;
  // histogram chunks are cut from each series' whole history, as the head holds them (a chunk's
  // first sample reads back "unknown", so where the chunks start matters), then those overlapping
  // the select's range go in
  const whole = new Map<string, HistogramSample[]>();
  const all = store.querier(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  for (const s of all.select(matchersOf(spec.matchers), {
    start: Number.MIN_SAFE_INTEGER,
    end: Number.MAX_SAFE_INTEGER,
  }))
    whole.set(s.labels.toString(), s.histograms?.() ?? []);
  all.close();
  const q = store.querier(spec.mint, spec.maxt);
  let index = 0;
  for (const s of q.select(matchersOf(spec.matchers), { start: spec.mint, end: spec.maxt })) {
    const b = s.samples();
    const hs = s.histograms?.() ?? [];
    if (b.length === 0 && hs.length === 0) continue;
    labels.push(s.labels.pairs.length / 2, ...s.labels.pairs.map(id));
    const add = (mint: number, maxt: number, data: Uint8Array, enc: number): void => {
      chunks.push(index, mint, maxt, bytes, data.length, enc);
      parts.push(data);
      bytes += data.length;
    };
    for (let i = 0; i < b.length; i += 120) {
      // samples with start timestamps go in XOR2 chunks, as the head keeps them with st-storage
      if (b.st !== undefined) {
        const c = new XOR2Chunk();
        for (let k = i; k < Math.min(i + 120, b.length); k++) c.append(b.t[k], b.v[k], b.st[k]);
        add(c.minTime, c.maxTime, c.bytes().slice(), ENC_XOR2);
        continue;
      }
      const c = new XORChunk();
      for (let k = i; k < Math.min(i + 120, b.length); k++) c.append(b.t[k], b.v[k]);
      add(c.minTime, c.maxTime, c.bytes().slice(), 1); // 1: XOR
    }
    // native histograms, cut into chunks as the head cuts them (a counter reset starts a chunk), in
    // the start-timestamp encodings when a sample has one
    const history = whole.get(s.labels.toString()) ?? hs;
    const part = new HistogramPart(history.some((x) => (x.st ?? 0) !== 0));
    for (const x of history) part.append(x.t, x.h, x.fh, x.st);
    for (const c of part.chunks())
      if (c.maxt >= spec.mint && c.mint <= spec.maxt) add(c.mint, c.maxt, c.data.slice(), c.enc);
    index++;
  }
  q.close();
  const data = new Uint8Array(bytes);
  let off = 0;
  for (const p of parts) {
    data.set(p, off);
    off += p.length;
  }
  return {
    strings,
    labels: Uint32Array.from(labels),
    chunks: Float64Array.from(chunks),
    data,
    deleted: new Float64Array(0),
  };
}

/** The runner's engine, evaluating over a snapshot of the script's store instead of the store itself. */
function snapshotDeps(): RunDeps {
  const deps = defaultDeps();
  const cache = new BlockCache();
  const view = (store: Queryable): Queryable =>
    new SnapshotQueryable(
      async (specs) => structuredClone({ blocks: [], head: specs.map((s) => pack(store, s)) }),
      cache,
    );
  return {
    ...deps,
    engine: {
      instantQuery: (q, expr, t) => deps.engine.instantQuery(view(q), expr, t),
      rangeQuery: (q, expr, start, end, step) => deps.engine.rangeQuery(view(q), expr, start, end, step),
    },
  };
}

describe.skipIf(!fixtures.present)('promqltest through query snapshots', () => {
  it('passes at least as many evals per file as the in-process baseline', { timeout: 600_000 }, async () => {
    const baseline = JSON.parse(readFileSync(baselineFile, 'utf8')) as Record<string, number>;
    const files = readdirSync(fixtures.dir)
      .filter((f) => f.endsWith('.test'))
      .sort();
    const regressions: string[] = [];
    let passed = 0;
    for (const f of files) {
      const s = summarise(await runScriptFile(path.join(fixtures.dir, f), snapshotDeps()));
      passed += s.passed;
      if (s.passed < (baseline[f] ?? 0))
        regressions.push(`${f}: ${s.passed} passed, baseline ${baseline[f]}`);
    }
    console.log(`through query snapshots: ${passed} evals passed`);
    expect(regressions).toEqual([]);
  });
});
