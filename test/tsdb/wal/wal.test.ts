import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { WAL } from '../../../src/tsdb/wal/wal.js';
import { listSegments } from '../../../src/tsdb/wal/segments.js';
import { replay, type WALCorruption } from '../../../src/tsdb/wal/replay.js';
import { RecordDecodeError } from '../../../src/tsdb/wal/records.js';
import { cleanupDirs, makeRecord, recordId, replayAll, restore, snapshot, tmpDir } from './helpers.js';

afterEach(cleanupDirs);

const seg = (dir: string, i: number): string => path.join(dir, String(i).padStart(8, '0'));
const hex = (recs: Uint8Array[]): string[] => recs.map((r) => Buffer.from(r).toString('hex'));

/** Writes records of varying sizes; returns them in log order. */
function fill(dir: string, count: number, segmentSize: number, firstId = 0): Uint8Array[] {
  const wal = WAL.open(dir, { segmentSize });
  const recs: Uint8Array[] = [];
  for (let i = 0; i < count;) {
    const batch: Uint8Array[] = [];
    const k = 1 + (i % 3);
    for (let j = 0; j < k && i < count; j++, i++) batch.push(makeRecord(firstId + i, 3 + ((i * 37) % 200)));
    wal.log(...batch);
    recs.push(...batch);
  }
  wal.close();
  return recs;
}

describe('WAL segments', () => {
  it('names segments with 8 digits, rolls over when full, and replays in order', () => {
    const dir = tmpDir();
    const recs = fill(dir, 300, 2048);
    const segs = listSegments(dir);
    expect(segs.length).toBeGreaterThan(10);
    expect(segs).toEqual(segs.map((_, i) => i));
    expect(fs.readdirSync(dir).sort()[0]).toBe('00000000');
    for (const i of segs) expect(fs.statSync(seg(dir, i)).size).toBeLessThanOrEqual(2048);
    const { recs: got, segments, result } = replayAll(dir);
    expect(result.corruptions).toBe(0);
    expect(result.records).toBe(300);
    expect(got).toEqual(recs);
    expect(segments).toEqual([...segments].sort((a, b) => a - b));
    expect(result.firstSegment).toBe(0);
    expect(result.lastSegment).toBe(segs[segs.length - 1]);
  });

  it('starts a fresh segment on every open and keeps appending across restarts', () => {
    const dir = tmpDir();
    const a = fill(dir, 10, 1 << 20);
    expect(listSegments(dir)).toEqual([0]);
    const b = fill(dir, 10, 1 << 20, 100);
    expect(listSegments(dir)).toEqual([0, 1]);
    expect(replayAll(dir).recs).toEqual([...a, ...b]);
  });

  it('gives a record larger than a segment a segment of its own', () => {
    const dir = tmpDir();
    const wal = WAL.open(dir, { segmentSize: 100 });
    const small = makeRecord(1, 10);
    const big = makeRecord(2, 500);
    wal.log(small, big, small);
    wal.close();
    expect(listSegments(dir)).toEqual([0, 1, 2]);
    expect(fs.statSync(seg(dir, 1)).size).toBe(8 + big.length);
    expect(replayAll(dir).recs).toEqual([small, big, small]);
  });

  it('cuts segments on request, truncates old ones, reports its size', () => {
    const dir = tmpDir();
    const wal = WAL.open(dir);
    wal.log(makeRecord(1, 10));
    expect(wal.nextSegment()).toBe(1);
    wal.log(makeRecord(2, 10));
    expect(wal.nextSegment()).toBe(2);
    expect(wal.segments()).toEqual({ first: 0, last: 2 });
    expect(wal.size()).toBe(2 * (8 + 15));
    wal.truncateBefore(2);
    expect(wal.segments()).toEqual({ first: 2, last: 2 });
    wal.truncateBefore(10); // never the open segment
    expect(wal.segments()).toEqual({ first: 2, last: 2 });
    wal.log(makeRecord(3, 10));
    wal.sync();
    wal.close();
    expect(replayAll(dir).recs.map(recordId)).toEqual([3]);
    expect(() => wal.log(makeRecord(4, 1))).toThrow(/closed/);
  });

  it('replays an empty or missing directory as nothing', () => {
    const dir = tmpDir();
    expect(replayAll(dir).result).toMatchObject({ records: 0, corruptions: 0 });
    expect(replayAll(path.join(dir, 'missing')).result.records).toBe(0);
  });
});

/** Byte offsets at which each record starts in each segment, from the files themselves. */
function layout(dir: string): Array<{ segment: number; starts: number[]; size: number }> {
  return listSegments(dir).map((i) => {
    const b = fs.readFileSync(seg(dir, i));
    const starts: number[] = [];
    for (let p = 0; p < b.length; p += 8 + b.readUInt32LE(p)) starts.push(p);
    return { segment: i, starts, size: b.length };
  });
}

describe('WAL repair', () => {
  const N = 80;

  function setup(): {
    dir: string;
    recs: Uint8Array[];
    snap: Map<string, Buffer>;
    lay: ReturnType<typeof layout>;
  } {
    const dir = tmpDir();
    const recs = fill(dir, N, 2048);
    return { dir, recs, snap: snapshot(dir), lay: layout(dir) };
  }

  /** Index in `recs` of the first record of each segment. */
  function firstIndex(lay: ReturnType<typeof layout>): number[] {
    const out: number[] = [];
    let n = 0;
    for (const s of lay) {
      out.push(n);
      n += s.starts.length;
    }
    return out;
  }

  /**
   * Checks replay after damage (records, corruption count, segments after `damagedSegment` gone), a
   * second replay, and appending after the repair.
   */
  function check(
    dir: string,
    recs: Uint8Array[],
    keep: number,
    corruptions: number,
    what: string,
    damagedSegment: number,
  ): void {
    const seen: WALCorruption[] = [];
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', format: 'logfmt', write: (l) => lines.push(l) });
    const first = replayAll(dir, { onCorruption: (c) => seen.push(c), logger });
    const expected = hex(recs.slice(0, keep));
    expect(hex(first.recs), what).toEqual(expected);
    expect(first.result.corruptions, what).toBe(corruptions);
    expect(seen.length, what).toBe(corruptions);
    if (corruptions > 0) {
      expect(seen[0].segment, what).toBe(damagedSegment);
      expect(listSegments(dir).filter((i) => i > damagedSegment)).toEqual([]);
      const line = lines.find((l) => l.includes('Encountered WAL read error'));
      expect(line).toContain(`segment=${damagedSegment} offset=${seen[0].offset}`);
    }
    const second = replayAll(dir);
    expect(second.result.corruptions, what).toBe(0);
    expect(hex(second.recs), what).toEqual(expected);
    const wal = WAL.open(dir, { segmentSize: 2048 });
    const extra = makeRecord(999_999, 20);
    wal.log(extra);
    wal.close();
    const third = replayAll(dir);
    expect(third.result.corruptions, what).toBe(0);
    expect(hex(third.recs), what).toEqual([...expected, ...hex([extra])]);
  }

  it('cuts a truncated segment at the torn record: every offset in the last records, random ones elsewhere', () => {
    const { dir, recs, snap, lay } = setup();
    expect(lay.length).toBeGreaterThan(3);
    const base = firstIndex(lay);
    const last = lay.length - 1;
    const cases: Array<[number, number]> = [];
    const tail = lay[last];
    for (let off = tail.starts[Math.max(0, tail.starts.length - 4)]; off < tail.size; off++)
      cases.push([last, off]);
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let k = 0; k < 40; k++) {
      const s = rnd(lay.length);
      cases.push([s, rnd(lay[s].size)]);
    }
    for (const [s, off] of cases) {
      restore(dir, snap);
      fs.truncateSync(seg(dir, lay[s].segment), off);
      const whole = lay[s].starts.filter((p, j) => (lay[s].starts[j + 1] ?? lay[s].size) <= off).length;
      const boundary = off === 0 || lay[s].starts.includes(off);
      // a cut exactly on a record boundary is undetectable and loses only that segment's tail
      const keep = boundary && s < last ? -1 : base[s] + whole;
      if (keep === -1) {
        const expected = [...recs.slice(0, base[s] + whole), ...recs.slice(base[s + 1])];
        const got = replayAll(dir);
        expect(got.result.corruptions).toBe(0);
        expect(hex(got.recs)).toEqual(hex(expected));
        continue;
      }
      check(dir, recs, keep, boundary ? 0 : 1, `truncate segment ${s} at ${off}`, s);
    }
  });

  it('detects single flipped bits in headers and payloads, keeping the records before', () => {
    const { dir, recs, snap, lay } = setup();
    const base = firstIndex(lay);
    const last = lay.length - 1;
    const cases: Array<[number, number, number]> = [];
    const tail = lay[last];
    for (let off = tail.starts[Math.max(0, tail.starts.length - 3)]; off < tail.size; off++) {
      cases.push([last, off, off % 8]);
    }
    for (let s = 0; s < lay.length; s++) {
      for (let k = 0; k < 12; k++) cases.push([s, (k * 7919 + s * 31) % lay[s].size, k % 8]);
    }
    for (const [s, off, bit] of cases) {
      restore(dir, snap);
      const file = seg(dir, lay[s].segment);
      const b = fs.readFileSync(file);
      b[off] ^= 1 << bit;
      fs.writeFileSync(file, b);
      const damaged = lay[s].starts.filter((p) => p <= off).length - 1;
      check(dir, recs, base[s] + damaged, 1, `flip bit ${bit} of byte ${off} in segment ${s}`, s);
      expect(fs.statSync(file).size).toBe(lay[s].starts[damaged]);
    }
  });

  it('treats a zero-filled tail as the end of the segment, not a corruption', () => {
    const { dir, recs, lay } = setup();
    const last = seg(dir, lay[lay.length - 1].segment);
    const size = fs.statSync(last).size;
    fs.appendFileSync(last, Buffer.alloc(5000));
    const got = replayAll(dir);
    expect(got.result.corruptions).toBe(0);
    expect(got.recs).toEqual(recs);
    expect(fs.statSync(last).size).toBe(size);
    // zeros followed by data are a corruption
    fs.appendFileSync(last, Buffer.concat([Buffer.alloc(100), Buffer.from([1])]));
    const again = replayAll(dir);
    expect(again.result.corruptions).toBe(1);
    expect(again.result.corruption?.reason).toMatch(/invalid record size 0/);
    expect(again.recs).toEqual(recs);
  });

  it('treats a gap in segment numbers as a corruption and drops what follows it', () => {
    const { dir, recs, lay } = setup();
    const base = firstIndex(lay);
    fs.rmSync(seg(dir, 2));
    const got = replayAll(dir);
    expect(got.result.corruptions).toBe(1);
    expect(got.result.corruption?.reason).toBe('segments are not sequential');
    expect(got.recs).toEqual(recs.slice(0, base[2]));
    expect(listSegments(dir)).toEqual([0, 1]);
  });

  it('counts a record its decoder rejects as a corruption at that record', () => {
    const { dir, recs } = setup();
    let n = 0;
    const got: Uint8Array[] = [];
    const res = replay(dir, (rec) => {
      if (n++ === 50) throw new RecordDecodeError('bad labels');
      got.push(rec.slice());
    });
    expect(res.corruptions).toBe(1);
    expect(res.corruption?.reason).toBe('decode record: bad labels');
    expect(got).toEqual(recs.slice(0, 50));
    expect(replayAll(dir).recs).toEqual(recs.slice(0, 50));
  });

  it('propagates errors of the record handler that are not decode errors', () => {
    const { dir } = setup();
    expect(() =>
      replay(dir, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(replayAll(dir).recs.length).toBe(N);
  });
});
