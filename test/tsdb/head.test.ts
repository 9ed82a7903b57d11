import { describe, expect, it } from 'vitest';
import { Labels } from '../../src/model/labels.js';
import { Matcher } from '../../src/model/matcher.js';
import { NORMAL_NAN, STALE_NAN, isStaleNaN } from '../../src/model/value.js';
import { StorageError } from '../../src/storage/errors.js';
import { Head } from '../../src/tsdb/head.js';
import { createTSDBMetrics } from '../../src/tsdb/metrics.js';

const H2 = 2 * 3600 * 1000;
const lbl = (name: string, extra: Record<string, string> = {}) =>
  Labels.fromRecord({ __name__: name, ...extra });
const newHead = () => new Head({ chunkRange: H2, metrics: createTSDBMetrics() });

function samples(head: Head, name: string, mint = -Infinity, maxt = Infinity): Array<[number, number]> {
  const q = head.querier(mint, maxt);
  const out: Array<[number, number]> = [];
  for (const s of q.select([new Matcher('=', '__name__', name)])) {
    const b = s.samples();
    for (let i = 0; i < b.length; i++) out.push([b.t[i], b.v[i]]);
  }
  return out;
}

function appendErr(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StorageError);
    return (err as Error).message;
  }
  return 'no error';
}

describe('head append rules', () => {
  it('creates a series on first append with a stable ref, and queries it back', async () => {
    const head = newHead();
    const app = head.appender();
    const ref = app.append(0, lbl('up', { job: 'a' }), 1000, 1);
    expect(ref).toBeGreaterThan(0);
    expect(app.append(ref, lbl('up', { job: 'a' }), 2000, 2)).toBe(ref);
    expect(app.append(0, lbl('up', { job: 'a' }), 3000, 3)).toBe(ref);
    // nothing visible before commit
    expect(samples(head, 'up')).toEqual([]);
    await app.commit();
    expect(samples(head, 'up')).toEqual([
      [1000, 1],
      [2000, 2],
      [3000, 3],
    ]);
  });

  it('keeps appenders apart when their buffers are reused: interleaved, grown, rolled back', async () => {
    const head = newHead();
    // grows past its first buffers (256 samples), then hands them back
    const big = head.appender();
    for (let i = 0; i < 700; i++) big.append(0, lbl('big', { i: String(i) }), 1000, i);
    await big.commit();
    // two at once: one takes the returned buffers, the other new ones
    const a = head.appender();
    const b = head.appender();
    for (let i = 0; i < 300; i++) {
      a.append(0, lbl('a', { i: String(i) }), 2000, i);
      b.append(0, lbl('b', { i: String(i) }), 2000, -i);
    }
    const dropped = head.appender();
    dropped.append(0, lbl('dropped'), 2000, 1);
    dropped.rollback();
    await b.commit();
    // a's samples are its own, though b (and the rolled-back one) finished first
    a.append(0, lbl('a', { i: '0' }), 3000, 42);
    await a.commit();
    const reused = head.appender();
    reused.append(0, lbl('a', { i: '1' }), 3000, 7);
    await reused.commit();
    expect(samples(head, 'big')).toHaveLength(700);
    expect(
      samples(head, 'b')
        .map(([, v]) => v)
        .sort((x, y) => x - y)[0],
    ).toBe(-299);
    expect(
      samples(head, 'a', 2000, 2000)
        .map(([, v]) => v)
        .sort((x, y) => x - y),
    ).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(
      samples(head, 'a', 3000, 3000)
        .map(([, v]) => v)
        .sort((x, y) => x - y),
    ).toEqual([7, 42]);
    expect(samples(head, 'dropped')).toEqual([]);
  });

  it('rejects out-of-order samples and duplicates with another value, ignores identical duplicates', async () => {
    const head = newHead();
    const a = head.appender();
    a.append(0, lbl('m'), 10_000, 1);
    await a.commit();
    const b = head.appender();
    expect(appendErr(() => b.append(0, lbl('m'), 9_000, 1))).toBe('out of order sample');
    expect(appendErr(() => b.append(0, lbl('m'), 10_000, 2))).toBe(
      'duplicate sample for timestamp 10000; overrides not allowed: existing 1, new value 2',
    );
    expect(appendErr(() => b.append(0, lbl('m'), 10_000, 1))).toBe('no error'); // identical: fine
    b.append(0, lbl('m'), 11_000, 5);
    await b.commit();
    expect(samples(head, 'm')).toEqual([
      [10_000, 1],
      [11_000, 5],
    ]);
  });

  it('rejects samples older than the appendable window as out of bounds', async () => {
    const head = newHead();
    const a = head.appender();
    a.append(0, lbl('m'), 10 * H2, 1);
    await a.commit();
    const b = head.appender();
    // older than max - chunkRange/2 (1h)
    expect(appendErr(() => b.append(0, lbl('other'), 10 * H2 - H2 / 2 - 1, 1))).toBe('out of bounds');
    expect(appendErr(() => b.append(0, lbl('other'), 10 * H2 - H2 / 2, 1))).toBe('no error');
  });

  it('compares duplicates by bits: stale vs NaN differs, stale twice is ignored', async () => {
    const head = newHead();
    const a = head.appender();
    a.append(0, lbl('m'), 1000, STALE_NAN);
    await a.commit();
    const b = head.appender();
    expect(appendErr(() => b.append(0, lbl('m'), 1000, NORMAL_NAN))).toMatch(
      /^duplicate sample for timestamp 1000/,
    );
    // a stale marker that went through a JS double array (V8 may quiet it) is still the same marker
    const viaArray = [0.5, STALE_NAN][1];
    expect(appendErr(() => b.append(0, lbl('m'), 1000, viaArray))).toBe('no error');
    expect(appendErr(() => b.append(0, lbl('m'), 1000, -0))).toMatch(/^duplicate/);
  });

  it('stores stale markers with their exact bits', async () => {
    const head = newHead();
    const a = head.appender();
    a.append(0, lbl('m'), 1000, 1);
    a.append(0, lbl('m'), 2000, STALE_NAN);
    await a.commit();
    const q = head.querier(0, 10_000);
    const [s] = [...q.select([new Matcher('=', '__name__', 'm')])];
    const b = s.samples();
    const words = new Uint32Array(b.v.buffer, b.v.byteOffset, b.length * 2);
    expect(isStaleNaN(b.v[1])).toBe(true);
    expect([words[3].toString(16), words[2]]).toEqual(['7ff00000', 2]);
  });

  it('commits per sample: samples made out of order by a concurrent commit are dropped, the rest land', async () => {
    const head = newHead();
    const a = head.appender();
    const b = head.appender();
    a.append(0, lbl('m'), 5000, 1);
    a.append(0, lbl('n'), 5000, 1);
    b.append(0, lbl('m'), 6000, 2);
    await b.commit();
    await a.commit(); // m@5000 is now out of order; n@5000 still lands
    expect(samples(head, 'm')).toEqual([[6000, 2]]);
    expect(samples(head, 'n')).toEqual([[5000, 1]]);
  });

  it('drops everything on rollback but keeps created series', () => {
    const head = newHead();
    const a = head.appender();
    a.append(0, lbl('m'), 1000, 1);
    a.rollback();
    expect(samples(head, 'm')).toEqual([]);
    expect(head.numSeries).toBe(1);
    expect(appendErr(() => a.append(0, lbl('m'), 2000, 1))).toBe('appender closed');
  });

  it('rejects an empty label set', () => {
    const head = newHead();
    expect(appendErr(() => head.appender().append(0, Labels.EMPTY, 1, 1))).toBe(
      'empty labelset: invalid sample',
    );
  });
});

describe('head chunks', () => {
  it('cuts about 120 samples per chunk, ending on the chunk-range boundary', async () => {
    const head = newHead();
    const a = head.appender();
    // 2h at 15s = 480 samples in one chunk-range window
    for (let t = 0; t < H2; t += 15_000) a.append(0, lbl('m'), t, t);
    await a.commit();
    const s = [...head.series.values()][0];
    const sizes = s.closed.map((c) => c.maxt - c.mint);
    expect(s.chunkCount).toBe(4);
    expect(sizes.length + 1).toBe(4);
    expect(samples(head, 'm')).toHaveLength(480);
    // the next sample (next window) starts a new chunk
    const b = head.appender();
    b.append(0, lbl('m'), H2, 1);
    await b.commit();
    expect(s.chunkCount).toBe(5);
  });

  it('selects by matchers with Prometheus semantics and restricts to [mint, maxt]', async () => {
    const head = newHead();
    const a = head.appender();
    a.append(0, lbl('up', { job: 'a', env: 'prod' }), 1000, 1);
    a.append(0, lbl('up', { job: 'b' }), 1000, 2);
    a.append(0, lbl('up', { job: 'b' }), 5000, 3);
    await a.commit();
    const q = head.querier(0, 2000);
    const names = [...q.select([new Matcher('=', '__name__', 'up'), new Matcher('=', 'env', '')])].map((s) =>
      s.labels.toString(),
    );
    expect(names).toEqual(['up{job="b"}']);
    const [b] = [...q.select([new Matcher('=~', 'job', 'b')])];
    expect(b.samples().length).toBe(1);
    expect(q.labelValues('job')).toEqual(['a', 'b']);
    expect(q.labelNames([new Matcher('=', 'job', 'b')])).toEqual(['__name__', 'job']);
  });

  it('gives a querier a consistent view while appends continue', async () => {
    const head = newHead();
    const a = head.appender();
    for (let t = 1000; t <= 5000; t += 1000) a.append(0, lbl('m'), t, t);
    await a.commit();
    const q = head.querier(0, Infinity);
    const [s] = [...q.select([new Matcher('=', '__name__', 'm')])];
    const b = head.appender();
    b.append(0, lbl('m'), 6000, 6);
    await b.commit();
    expect(s.samples().length).toBe(5);
  });
});

describe('head truncation and deletes', () => {
  it('drops data before a time and series left empty', async () => {
    const head = newHead();
    const a = head.appender();
    a.append(0, lbl('old'), 1000, 1);
    for (let t = 0; t < 2 * H2; t += 60_000) a.append(0, lbl('m'), t, 1);
    await a.commit();
    head.truncateBefore(H2);
    expect(samples(head, 'old')).toEqual([]);
    expect(head.numSeries).toBe(1);
    expect(samples(head, 'm')[0][0]).toBe(H2);
    expect(head.minValidTime).toBe(H2);
    expect(head.minTime).toBe(H2);
  });

  it('keeps series apart whose label hashes share their low 32 bits (the key of its index by hash)', async () => {
    // a birthday search: among ~2^17 label sets two share the low 32 bits of their hash
    const seen = new Map<number, Labels>();
    let pair: [Labels, Labels] | undefined;
    for (let i = 0; pair === undefined; i++) {
      const l = lbl('c', { i: String(i) });
      const key = l.hash() | 0;
      const other = seen.get(key);
      if (other !== undefined) pair = [other, l];
      else seen.set(key, l);
    }
    const [x, y] = pair;
    expect(x.hash()).not.toBe(y.hash());
    const head = newHead();
    const a = head.appender();
    a.append(0, x, 1000, 1);
    a.append(0, y, 1000, 2);
    a.append(0, x, H2 * 2, 3);
    await a.commit();
    const sx = head.getOrCreate(x);
    const sy = head.getOrCreate(y);
    expect([sx.created, sy.created]).toEqual([false, false]);
    expect(sx.series).not.toBe(sy.series);
    expect(sx.series.labels.equals(x) && sy.series.labels.equals(y)).toBe(true);
    // y is left empty and dropped; x is still found under the shared key, y is new again
    head.truncateBefore(H2);
    expect(head.numSeries).toBe(1);
    expect(head.getOrCreate(x)).toEqual({ series: sx.series, created: false });
    expect(head.getOrCreate(y).created).toBe(true);
  });

  it('hides deleted ranges through tombstones', async () => {
    const head = newHead();
    const a = head.appender();
    for (let t = 1000; t <= 10_000; t += 1000) a.append(0, lbl('m', { i: '1' }), t, t);
    a.append(0, lbl('m', { i: '2' }), 5000, 1);
    await a.commit();
    head.deleteRange([new Matcher('=', 'i', '1')], 3000, 6000);
    // series i=1 (with the deleted range gone), then series i=2
    expect(samples(head, 'm').map(([t]) => t)).toEqual([1000, 2000, 7000, 8000, 9000, 10_000, 5000]);
  });
});
