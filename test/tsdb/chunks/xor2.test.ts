// XOR2 chunks (Prometheus 3.14's tsdb/docs/format/chunks.md "XOR2 chunk data"): bytes worked out
// by hand from the documented layout, and round trips of every control case with start timestamps.
import { describe, expect, it } from 'vitest';
import { XOR2Chunk } from '../../../src/tsdb/chunks/xor2.js';
import { STALE_NAN, isStaleNaN } from '../../../src/model/value.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('XOR2 chunk', () => {
  it('writes the documented layout: count, ST header, varint t0, raw v0, uvarint delta, joint bits', () => {
    const c = new XOR2Chunk();
    c.append(1000, 1);
    c.append(2000, 1);
    c.append(3000, 1);
    // 0003 | 00 (no ST) | d00f (varint 1000) | 3ff0… (1.0) | e807 (uvarint 1000) | `0` `0` padded
    expect(hex(c.bytes())).toBe('000300' + 'd00f' + '3ff0000000000000' + 'e807' + '00');
    expect(c.hasST).toBe(false);
  });

  it('keeps a constant start timestamp in the first sample only (header bit 7)', () => {
    const c = new XOR2Chunk();
    for (const t of [1000, 2000, 3000]) c.append(t, 1, 500);
    // st0 as varint of t0 - st0 = 500 (e807); unchanged STs write nothing
    expect(hex(c.bytes())).toBe('000380' + 'd00f' + '3ff0000000000000' + 'e807' + 'e807' + '00');
    expect(Array.from(c.samples().st)).toEqual([500, 500, 500]);
  });

  it('records from which sample every ST is written (delta series: ST = previous t)', () => {
    const c = new XOR2Chunk();
    c.append(1000, 1, 0);
    c.append(2000, 1, 1000);
    c.append(3000, 1, 2000);
    // header low bits: STs from sample 1 on; v1 `0`, st1 `0` (prevT - st = 0), s2 `0`, `0` (no change)
    expect(hex(c.bytes())).toBe('000301' + 'd00f' + '3ff0000000000000' + 'e807' + '00');
    const s = c.samples();
    expect(Array.from(s.st)).toEqual([0, 1000, 2000]);
  });

  it('round-trips every control case, stale markers, and start timestamps that change', () => {
    const c = new XOR2Chunk();
    const ts: number[] = [];
    const vs: number[] = [];
    const sts: number[] = [];
    let t = 1_700_000_000_000;
    const dods = [0, 0, 5, -5, 4095, -4096, 4096, 524287, -524288, 600000, 2 ** 40, 0, 0, 0];
    let delta = 15_000;
    for (let i = 0; i < 200; i++) {
      if (i >= 2) delta += dods[i % dods.length];
      if (delta <= 0) delta = 1000;
      t += delta;
      let v = i % 7 === 0 ? (vs[vs.length - 1] ?? 1.5) : Math.sin(i) * 1000;
      if (i % 13 === 5) v = STALE_NAN;
      if (i % 17 === 3) v = 42;
      ts.push(t);
      vs.push(v);
      // cumulative runs, resets, unknown STs and past sample 127 (where the header forces STs)
      sts.push(i < 3 ? 0 : i < 60 ? ts[3] - 10 : i < 130 ? ts[60] - 1 : ts[i - 1]);
      c.append(t, v, sts[i]);
    }
    const back = XOR2Chunk.fromBytes(c.bytes().slice());
    expect(back.numSamples).toBe(200);
    expect(back.minTime).toBe(ts[0]);
    expect(back.maxTime).toBe(ts[199]);
    const s = back.samples();
    expect(Array.from(s.t)).toEqual(ts);
    expect(Array.from(s.st)).toEqual(sts);
    for (let i = 0; i < 200; i++) {
      if (isStaleNaN(vs[i])) expect(isStaleNaN(s.v[i])).toBe(true);
      else expect(s.v[i]).toBe(vs[i]);
    }
  });
});
