// Units of the query API: the concurrency queue, parameter parsing and JSON number formatting.
import { describe, expect, it } from 'vitest';
import { QueryError } from '../../../../src/promql/engine/index.js';
import { floatJSON, timestampJSON, capAnnotations } from '../../../../src/web/api/v1/json.js';
import { parseDuration, parseTime, unescapeName } from '../../../../src/web/api/v1/params.js';
import { QueryLimiter } from '../../../../src/web/api/v1/query-limiter.js';

describe('QueryLimiter', () => {
  it('lets N run and queues the rest first-in first-out', async () => {
    const limiter = new QueryLimiter(2);
    const far = Date.now() + 60_000;
    const r1 = await limiter.acquire(far);
    const r2 = await limiter.acquire(far);
    const order: number[] = [];
    const p3 = limiter.acquire(far).then((r) => (order.push(3), r));
    const p4 = limiter.acquire(far).then((r) => (order.push(4), r));
    expect(limiter.active).toBe(2);
    expect(limiter.waiting).toBe(2);
    r1();
    const r3 = await p3;
    expect(order).toEqual([3]);
    r2();
    const r4 = await p4;
    expect(order).toEqual([3, 4]);
    r3();
    r4();
    r4(); // releasing twice frees one slot only
    expect(limiter.active).toBe(0);
  });

  it('fails a waiter whose deadline passes, and one whose client goes', async () => {
    const limiter = new QueryLimiter(1);
    const release = await limiter.acquire(Date.now() + 60_000);
    const timedOut = limiter.acquire(Date.now() + 1);
    await expect(timedOut).rejects.toEqual(new QueryError('timeout', 'query timed out in query queue'));
    const ac = new AbortController();
    const canceled = limiter.acquire(Date.now() + 60_000, ac.signal);
    ac.abort();
    await expect(canceled).rejects.toEqual(new QueryError('canceled', 'query was canceled in query queue'));
    expect(limiter.waiting).toBe(0);
    release();
    expect(limiter.active).toBe(0);
  });

  it('refuses at once when the deadline has passed', async () => {
    const limiter = new QueryLimiter(5);
    await expect(limiter.acquire(Date.now() - 1)).rejects.toBeInstanceOf(QueryError);
    expect(limiter.active).toBe(0);
  });
});

describe('parameters', () => {
  it('parses times as Prometheus does', () => {
    expect(parseTime('1435781451.781')).toBe(1435781451781);
    expect(parseTime('1435781451')).toBe(1435781451000);
    expect(parseTime('-1.5')).toBe(-1500);
    expect(parseTime('1e3')).toBe(1_000_000);
    expect(parseTime('2015-07-01T20:10:51.781Z')).toBe(1435781451781);
    expect(parseTime('2015-07-01T22:10:51.7819+02:00')).toBe(1435781451781);
    expect(parseTime('-292273086-05-16T16:47:06Z')).toBeLessThan(-9e18);
    expect(() => parseTime('2015-07-01 20:10:51Z')).toThrow(
      'cannot parse "2015-07-01 20:10:51Z" to a valid timestamp',
    );
  });

  it('parses durations as float seconds or Prometheus durations', () => {
    expect(parseDuration('15')).toBe(15_000);
    expect(parseDuration('0.5')).toBe(500);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(() => parseDuration('1.5m')).toThrow('cannot parse "1.5m" to a valid duration');
  });

  it('unescapes U__ label names as model.UnescapeName', () => {
    expect(unescapeName('U__service_2e_name')).toBe('service.name');
    expect(unescapeName('U__a__b')).toBe('a_b');
    expect(unescapeName('U__snow_2603_man')).toBe('snow☃man');
    expect(unescapeName('U__bad_zz_')).toBe('U__bad_zz_');
    expect(unescapeName('U__open_2e')).toBe('U__open_2e');
    expect(unescapeName('plain_name')).toBe('plain_name');
  });
});

describe('JSON numbers', () => {
  it('writes timestamps as seconds with three decimals at most', () => {
    expect(timestampJSON(1435781451781)).toBe('1435781451.781');
    expect(timestampJSON(1435781451780)).toBe('1435781451.780');
    expect(timestampJSON(1435781451005)).toBe('1435781451.005');
    expect(timestampJSON(1435781451000)).toBe('1435781451');
    expect(timestampJSON(-1500)).toBe('-1.500');
  });

  it('writes values as jsonutil.MarshalFloat', () => {
    expect(floatJSON(1)).toBe('"1"');
    expect(floatJSON(-0)).toBe('"-0"');
    expect(floatJSON(0.000001)).toBe('"0.000001"');
    expect(floatJSON(1e-7)).toBe('"1e-07"');
    expect(floatJSON(123456789012)).toBe('"123456789012"');
    expect(floatJSON(1e20)).toBe('"100000000000000000000"');
    expect(floatJSON(1.5e21)).toBe('"1.5e+21"');
    expect(floatJSON(NaN)).toBe('"NaN"');
    expect(floatJSON(-Infinity)).toBe('"-Inf"');
  });

  it('keeps ten annotations of a kind and counts the rest', () => {
    const many = Array.from({ length: 12 }, (_, i) => `w${i}`);
    expect(capAnnotations(many, 'warning')).toEqual([
      ...many.slice(0, 10),
      '2 more warning annotations omitted',
    ]);
  });
});
