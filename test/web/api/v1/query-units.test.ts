// Units of the query API: the concurrency queue, parameter parsing and JSON number formatting.
import zlib from 'node:zlib';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { QueryError } from '../../../../src/promql/engine/index.js';
import { floatJSON, timestampJSON, capAnnotations } from '../../../../src/web/api/v1/json.js';
import { JsonBytes } from '../../../../src/web/api/v1/json-bytes.js';
import { acceptedEncoding, compressBody } from '../../../../src/web/api/v1/body-encoding.js';
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

  it('writes the same numbers as bytes (JsonBytes) as the string functions do', () => {
    const times = [0, 999, 1000, 1001, 1435781451005, 1435781451780, 2147483647000, 2147483648000];
    times.push(-1500, -1, 999999999999999, 9007199254740991, 4102444800123, 1796349600000 + 15_000);
    const values = [0, -0, 1, -1, 9, 10, 99, 100, 1e9, 2147483647, 2147483648, 4294967296];
    values.push(-2147483649, 123456789012, 9007199254740991, 9007199254740992, 1e20, 1.5e21, 1e-7);
    values.push(0.000001, 0.5, -2.25, 1234.5678, 1 / 3, NaN, Infinity, -Infinity, 4.9e-324);
    for (let i = 0; i < 2000; i++) {
      values.push((Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 40 - 20));
      values.push(Math.round(Math.random() * 10 ** Math.floor(Math.random() * 16)));
      times.push(Math.floor(Math.random() * 4e12) - 1e12);
    }
    const w = new JsonBytes();
    let want = '';
    times.forEach((t, i) => {
      const v = values[i % values.length]!;
      w.point(t, v, i === 0);
      want += (i === 0 ? '[' : ',[') + timestampJSON(t) + ',' + floatJSON(v) + ']';
    });
    for (const v of values) {
      w.float(v);
      want += floatJSON(v);
    }
    expect(new TextDecoder().decode(w.bytes())).toBe(want);
  });

  it('keeps ten annotations of a kind and counts the rest', () => {
    const many = Array.from({ length: 12 }, (_, i) => `w${i}`);
    expect(capAnnotations(many, 'warning')).toEqual([
      ...many.slice(0, 10),
      '2 more warning annotations omitted',
    ]);
  });
});

describe('query answer encoding', () => {
  it('picks gzip or deflate from Accept-Encoding as @fastify/compress does', () => {
    const pick = (h: Record<string, string>) => acceptedEncoding(h);
    expect(pick({})).toBeUndefined();
    expect(pick({ 'accept-encoding': 'identity' })).toBeUndefined();
    expect(pick({ 'accept-encoding': 'br, zstd' })).toBeUndefined();
    expect(pick({ 'accept-encoding': 'gzip' })).toBe('gzip');
    expect(pick({ 'accept-encoding': 'deflate, gzip' })).toBe('gzip');
    expect(pick({ 'accept-encoding': 'deflate' })).toBe('deflate');
    expect(pick({ 'accept-encoding': 'gzip;q=0.5, deflate' })).toBe('deflate');
    expect(pick({ 'accept-encoding': 'gzip;q=0, deflate;q=0' })).toBeUndefined();
    expect(pick({ 'accept-encoding': 'X-GZIP' })).toBe('gzip');
    expect(pick({ 'accept-encoding': '*' })).toBe('gzip');
    expect(pick({ 'accept-encoding': 'gzip', 'x-no-compression': '1' })).toBeUndefined();
  });

  it('compresses into a buffer of its own, which can be transferred to another thread', () => {
    for (const size of [10, 100_000]) {
      const body = new TextEncoder().encode('{"status":"success"}'.repeat(size / 10));
      for (const enc of ['gzip', 'deflate'] as const) {
        const out = compressBody(body, enc);
        expect(out.byteOffset).toBe(0);
        expect(out.byteLength).toBe(out.buffer.byteLength);
        const back = enc === 'gzip' ? zlib.gunzipSync(out) : zlib.inflateSync(out);
        expect(new Uint8Array(back)).toEqual(body);
        const { port1, port2 } = new MessageChannel();
        port1.postMessage(out, [out.buffer as ArrayBuffer]);
        port1.close();
        port2.close();
        expect(out.byteLength).toBe(0); // detached: handed over, not copied
      }
    }
  });
});
