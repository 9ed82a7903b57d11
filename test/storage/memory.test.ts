import { describe, expect, it } from 'vitest';
import { Labels } from '../../src/model/labels.js';
import { Matcher } from '../../src/model/matcher.js';
import { NORMAL_NAN, STALE_NAN, isStaleNaN } from '../../src/model/value.js';
import { MemoryStorage, StorageError, type Querier, type SampleBatch } from '../../src/storage/index.js';

const L = (r: Record<string, string>) => Labels.fromRecord(r);
const eq = (n: string, v: string) => new Matcher('=', n, v);

function collect(q: Querier, ...ms: Matcher[]): { labels: string; t: number[]; v: number[] }[] {
  return [...q.select(ms)].map((s) => {
    const b = s.samples();
    return { labels: s.labels.toString(), t: [...b.t], v: [...b.v] };
  });
}

function errKind(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof StorageError) return err.kind;
    throw err;
  }
  return 'none';
}

function highWord(b: SampleBatch, i: number): number {
  return new Uint32Array(b.v.buffer, b.v.byteOffset, b.length * 2)[2 * i + 1];
}

describe('MemoryStorage appends', () => {
  it('applies the head rules: out of order, duplicates by bits, identical duplicates ignored', async () => {
    const st = new MemoryStorage();
    const up = L({ __name__: 'up', job: 'a' });
    let app = st.appender();
    const ref = app.append(0, up, 10, 1);
    app.append(ref, up, 20, 2);
    await app.commit();

    app = st.appender();
    expect(errKind(() => app.append(ref, up, 15, 3))).toBe('out_of_order');
    expect(errKind(() => app.append(ref, up, 20, 3))).toBe('duplicate');
    expect(errKind(() => app.append(ref, up, 20, 2))).toBe('none'); // identical: accepted, then dropped
    expect(errKind(() => app.append(0, up, 30, 3))).toBe('none'); // found by labels
    await app.commit();
    expect(collect(st.querier(0, 100), eq('__name__', 'up'))).toEqual([
      { labels: 'up{job="a"}', t: [10, 20, 30], v: [1, 2, 3] },
    ]);
  });

  it('uses Prometheus error messages', () => {
    const st = new MemoryStorage();
    st.add(L({ a: 'b' }), [[1000, 1]]);
    const app = st.appender();
    expect(() => app.append(0, L({ a: 'b' }), 1000, 2)).toThrow(
      'duplicate sample for timestamp 1000; overrides not allowed: existing 1, new value 2',
    );
    expect(() => app.append(0, L({ a: 'b' }), 999, 2)).toThrow('out of order sample');
    expect(() => app.append(0, Labels.EMPTY, 1, 1)).toThrow('empty labelset: invalid sample');
    expect(() => app.append(0, L({ a: '' }), 1, 1)).toThrow('empty labelset: invalid sample');
  });

  it('compares NaNs by bits: stale vs normal NaN is a duplicate error, identical stale is ignored', () => {
    const st = new MemoryStorage();
    const s = L({ a: 'b' });
    st.add(s, [
      [1, STALE_NAN],
      [2, NORMAL_NAN],
    ]);
    const app = st.appender();
    expect(errKind(() => app.append(0, s, 2, STALE_NAN))).toBe('duplicate');
    expect(errKind(() => app.append(0, s, 2, NORMAL_NAN))).toBe('none');
    expect(errKind(() => app.append(0, s, 2, 0))).toBe('duplicate');
    st.add(L({ c: 'd' }), [[5, 0]]);
    expect(errKind(() => st.add(L({ c: 'd' }), [[5, -0]]))).toBe('duplicate');
    expect(errKind(() => st.add(L({ a: 'b' }), [[3, STALE_NAN]]))).toBe('none');
    expect(errKind(() => st.add(L({ a: 'b' }), [[3, STALE_NAN]]))).toBe('none');

    const [series] = [...st.querier(0, 10).select([eq('a', 'b')])];
    const b = series.samples();
    expect([...b.t]).toEqual([1, 2, 3]);
    // the stale marker keeps its exact bits (0x7ff0000000000002), the normal NaN is not stale
    expect(highWord(b, 0)).toBe(0x7ff00000);
    expect(isStaleNaN(b.v[0])).toBe(true);
    expect(isStaleNaN(b.v[1])).toBe(false);
    expect(isStaleNaN(b.v[2])).toBe(true);
  });

  it('commits per sample: rejected appends are missing, the rest lands', async () => {
    const st = new MemoryStorage();
    st.add(L({ a: '1' }), [[10, 1]]);
    const app = st.appender();
    app.append(0, L({ a: '2' }), 5, 5);
    expect(() => app.append(0, L({ a: '1' }), 9, 9)).toThrow(StorageError);
    app.append(0, L({ a: '1' }), 11, 11);
    // within one batch, checks see only committed data; commit drops what became out of order
    app.append(0, L({ a: '1' }), 10.5, 0);
    app.append(0, L({ a: '1' }), 11, 99);
    await app.commit();
    expect(collect(st.querier(0, 100), new Matcher('=~', 'a', '.+'))).toEqual([
      { labels: '{a="1"}', t: [10, 11], v: [1, 11] },
      { labels: '{a="2"}', t: [5], v: [5] },
    ]);
  });

  it('rollback drops the batch but keeps eagerly created series, as the head', async () => {
    const st = new MemoryStorage();
    st.add(L({ a: '1' }), [[10, 1]]);
    const app = st.appender();
    app.append(0, L({ a: '2' }), 20, 2);
    app.append(0, L({ a: '1' }), 20, 2);
    app.rollback();
    const q = st.querier(0, 100);
    expect(collect(q, new Matcher('=~', 'a', '.+'))).toEqual([{ labels: '{a="1"}', t: [10], v: [1] }]);
    expect(q.labelValues('a')).toEqual(['1', '2']);
    expect(st.numSeries).toBe(2);
    expect(() => app.append(0, L({ a: '1' }), 30, 1)).toThrow('appender closed');
    await expect(app.commit()).rejects.toThrow('appender closed');
  });

  it('is not visible before commit', async () => {
    const st = new MemoryStorage();
    const app = st.appender();
    app.append(0, L({ a: '1' }), 1, 1);
    expect(collect(st.querier(0, 10), eq('a', '1'))).toEqual([]);
    await app.commit();
    expect(collect(st.querier(0, 10), eq('a', '1'))).toHaveLength(1);
  });
});

describe('MemoryStorage queries', () => {
  const st = new MemoryStorage();
  // created out of label order, so sorting is visible
  st.add(L({ __name__: 'up', job: 'b' }), [
    [1, 1],
    [2, 2],
    [3, 3],
  ]);
  st.add(L({ __name__: 'up', job: 'a', env: 'prod' }), [[2, 20]]);
  st.add(L({ __name__: 'up', job: 'a' }), [[5, 50]]);
  st.add(L({ __name__: 'down', env: 'dev' }), [[9, 9]]);

  it('returns series sorted by labels with samples in [mint, maxt]', () => {
    expect(collect(st.querier(2, 3), eq('__name__', 'up'))).toEqual([
      { labels: 'up{env="prod", job="a"}', t: [2], v: [20] },
      { labels: 'up{job="b"}', t: [2, 3], v: [2, 3] },
    ]);
  });

  it('honours hints.start and hints.end as the range, as the block querier', () => {
    const q = st.querier(0, 100);
    const got = [...q.select([eq('job', 'b')], { start: 3, end: 3 })].map((s) => [...s.samples().t]);
    expect(got).toEqual([[3]]);
  });

  it('applies empty-label semantics', () => {
    const q = st.querier(0, 100);
    const names = (...ms: Matcher[]) => [...q.select(ms)].map((s) => s.labels.toString());
    expect(names(eq('__name__', 'up'), eq('env', ''))).toEqual(['up{job="a"}', 'up{job="b"}']);
    expect(names(new Matcher('!=', 'env', ''))).toEqual(['down{env="dev"}', 'up{env="prod", job="a"}']);
    expect(names(new Matcher('=~', 'job', '.*'))).toHaveLength(4);
  });

  it('answers label names and values, with matchers', () => {
    const q = st.querier(0, 100);
    expect(q.labelNames()).toEqual(['__name__', 'env', 'job']);
    expect(q.labelNames([eq('__name__', 'down')])).toEqual(['__name__', 'env']);
    expect(q.labelValues('job')).toEqual(['a', 'b']);
    expect(q.labelValues('env', [eq('job', 'a')])).toEqual(['prod']);
    expect(q.labelValues('__name__', [new Matcher('!~', '__name__', 'd.*')])).toEqual(['up']);
    expect(q.labelValues('nope')).toEqual([]);
    // nothing overlaps the range: no labels, as the head
    expect(st.querier(100, 200).labelNames()).toEqual([]);
  });

  it('keeps a querier view stable against later appends', () => {
    const q = st.querier(0, 1000);
    const [s] = [...q.select([eq('job', 'b')])];
    st.add(L({ __name__: 'up', job: 'b' }), [[4, 4]]);
    expect([...s.samples().t]).toEqual([1, 2, 3]);
  });

  it('grows storage past its initial capacity', () => {
    const big = new MemoryStorage();
    const samples: [number, number][] = Array.from({ length: 1000 }, (_, i) => [i, i * 0.5]);
    big.add(L({ a: 'x' }), samples);
    const [s] = [...big.querier(100, 199).select([eq('a', 'x')])];
    const b = s.samples();
    expect(b.length).toBe(100);
    expect(b.t[0]).toBe(100);
    expect(b.v[99]).toBe(99.5);
  });
});
