import { describe, expect, it } from 'vitest';
import { Engine, type QueryResult } from '../../../src/promql/engine/index.js';
import { parseExpr } from '../../../src/promql/parser/index.js';
import { CounterResetHint } from '../../../src/model/histogram.js';
import { Labels } from '../../../src/model/labels.js';
import type { MemoryStorage } from '../../../src/storage/memory.js';
import { storeSeries, type SeriesDef } from '../../support/promql-storage.js';

const M = 60_000;
const FEATURES = new Set(['promql-experimental-functions']);

function store(defs: SeriesDef[]): MemoryStorage {
  return storeSeries(M, defs);
}

const engine = new Engine({
  lookbackDelta: 5 * M,
  timeout: 10_000,
  maxSamples: 1_000_000,
  features: FEATURES,
});

function range(st: MemoryStorage, q: string, start: number, end: number): Promise<QueryResult> {
  return engine.rangeQuery(st, parseExpr(q, { features: FEATURES }), start, end, M);
}

function series(r: QueryResult): Record<string, Array<[number, number]>> {
  if (r.value.type !== 'matrix') throw new Error(`expected matrix, got ${r.value.type}`);
  const out: Record<string, Array<[number, number]>> = {};
  for (const s of r.value.series) out[s.labels.toString()] = [...s.t].map((t, i) => [t / M, s.v[i]]);
  return out;
}

describe('info()', () => {
  const data = store([
    [{ __name__: 'metric', instance: 'a', job: '1' }, [1, 2, 3]],
    [{ __name__: 'metric', instance: 'b', job: '1' }, [4, 5, 6]],
    [{ __name__: 'target_info', instance: 'a', job: '1', region: 'eu' }, [1, 1, 'stale']],
    [{ __name__: 'target_info', instance: 'a', job: '1', region: 'us' }, [null, null, 1]],
    [{ __name__: 'build_info', instance: 'a', job: '1', version: '2' }, [1, 1, 1]],
  ]);

  it('adds the data labels of target_info by default, following info series churn', async () => {
    expect(series(await range(data, 'info(metric)', 0, 2 * M))).toEqual({
      'metric{instance="a", job="1", region="eu"}': [
        [0, 1],
        [1, 2],
      ],
      'metric{instance="a", job="1", region="us"}': [[2, 3]],
      'metric{instance="b", job="1"}': [
        [0, 4],
        [1, 5],
        [2, 6],
      ],
    });
  });

  it('drops series without info series when a data matcher does not match the empty string', async () => {
    expect(Object.keys(series(await range(data, 'info(metric, {region=~".+"})', 0, 2 * M)))).toEqual([
      'metric{instance="a", job="1", region="eu"}',
      'metric{instance="a", job="1", region="us"}',
    ]);
  });

  it('selects info metrics by name and leaves info series themselves alone', async () => {
    expect(series(await range(data, 'info({job="1"}, {__name__="build_info"})', 0, 0))).toEqual({
      'build_info{instance="a", job="1", version="2"}': [[0, 1]],
      'metric{instance="a", job="1", version="2"}': [[0, 1]],
      'metric{instance="b", job="1"}': [[0, 4]],
      // other info metrics are enriched like any series
      'target_info{instance="a", job="1", region="eu", version="2"}': [[0, 1]],
    });
  });

  it('treats negated name matchers as narrowing down *_info metrics', async () => {
    expect(Object.keys(series(await range(data, 'info(metric, {__name__!="target_info"})', 0, 0)))).toEqual([
      'metric{instance="a", job="1", version="2"}',
      'metric{instance="b", job="1"}',
    ]);
  });

  it('fails on conflicting data labels across info metrics', async () => {
    const st = store([
      [{ __name__: 'metric', instance: 'a', job: '1' }, [1]],
      [{ __name__: 'target_info', instance: 'a', job: '1', x: 't' }, [1]],
      [{ __name__: 'build_info', instance: 'a', job: '1', x: 'b' }, [1]],
    ]);
    await expect(range(st, 'info(metric, {__name__=~".+_info"})', 0, 0)).rejects.toThrow(
      /conflicting label: x/,
    );
  });

  it('fails on info series of one signature with samples at the same time', async () => {
    const st = store([
      [{ __name__: 'metric', instance: 'a', job: '1' }, [1]],
      [{ __name__: 'target_info', instance: 'a', job: '1', x: 'one' }, [1]],
      [{ __name__: 'target_info', instance: 'a', job: '1', x: 'two' }, [1]],
    ]);
    await expect(range(st, 'info(metric)', 0, 0)).rejects.toThrow(/found duplicate series for info metric/);
  });

  it('fails when the info series holds native histograms', async () => {
    const st = store([[{ __name__: 'metric', instance: 'a', job: '1' }, [1]]]);
    const app = st.appender();
    app.appendHistogram!(0, Labels.fromRecord({ __name__: 'hinfo', instance: 'a', job: '1' }), 0, undefined, {
      counterResetHint: CounterResetHint.Unknown,
      schema: 0,
      zeroThreshold: 0,
      zeroCount: 0,
      count: 1,
      sum: 1,
      positiveSpans: [{ offset: 0, length: 1 }],
      positiveBuckets: [1],
      negativeSpans: [],
      negativeBuckets: [],
    });
    await app.commit();
    await expect(range(st, 'info(metric, {__name__="hinfo"})', 0, 0)).rejects.toThrow(
      'info sample should be float',
    );
  });
});
