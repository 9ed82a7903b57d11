import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Labels } from '../../../src/model/labels.js';
import { checkpoint } from '../../../src/tsdb/wal/checkpoint.js';
import {
  RecordType,
  SampleColumns,
  decodeSamples,
  decodeSeries,
  decodeTombstones,
  encodeSamples,
  encodeSeries,
  encodeTombstones,
} from '../../../src/tsdb/wal/records.js';
import { replay } from '../../../src/tsdb/wal/replay.js';
import { listCheckpoints, listSegments } from '../../../src/tsdb/wal/segments.js';
import { WAL } from '../../../src/tsdb/wal/wal.js';
import { cleanupDirs, tmpDir } from './helpers.js';

afterEach(cleanupDirs);

interface State {
  series: string[]; // "ref labels"
  samples: string[]; // "ref t bits"
  stones: string[]; // "ref mint maxt"
  unknown: number;
  segments: number[];
}

/** Logical content of the WAL, with each sample's value as its stored bits. */
function readState(dir: string): State & { corruptions: number } {
  const st: State = { series: [], samples: [], stones: [], unknown: 0, segments: [] };
  const cols = new SampleColumns();
  const res = replay(dir, (rec, seg) => {
    st.segments.push(seg);
    switch (rec[0]) {
      case RecordType.Series:
        for (const s of decodeSeries(rec)) st.series.push(`${s.ref} ${s.labels.toString()}`);
        break;
      case RecordType.Samples: {
        const n = decodeSamples(rec, cols);
        const w = new Uint32Array(cols.vs.buffer);
        for (let i = 0; i < n; i++) {
          st.samples.push(`${cols.refs[i]} ${cols.ts[i]} ${w[2 * i + 1].toString(16)}:${w[2 * i]}`);
        }
        break;
      }
      case RecordType.Tombstones:
        for (const t of decodeTombstones(rec)) st.stones.push(`${t.ref} ${t.mint} ${t.maxt}`);
        break;
      default:
        st.unknown++;
    }
  });
  return { ...st, corruptions: res.corruptions };
}

const STALE_BITS = '7ff00000:2';

/** 10 series; samples t=0..99 for each, spread over many small segments; tombstones; unknown records. */
function build(dir: string): void {
  const wal = WAL.open(dir, { segmentSize: 1024 });
  const refs = Array.from({ length: 10 }, (_, i) => i + 1);
  wal.log(
    encodeSeries(
      refs,
      refs.map((r) => Labels.fromRecord({ __name__: 'm', r: String(r) })),
    ),
  );
  const vs = new Float64Array(10);
  const w = new Uint32Array(vs.buffer);
  for (let t = 0; t < 100; t++) {
    for (let i = 0; i < 10; i++) {
      if (t === 99)
        w.set([2, 0x7ff00000], 2 * i); // stale markers last
      else vs[i] = t * 10 + i;
    }
    wal.log(encodeSamples(refs, new Array<number>(10).fill(t), vs, 10));
    if (t === 30) wal.log(encodeTombstones([{ ref: 2, mint: 0, maxt: 10 }]), new Uint8Array([42, 1, 2]));
    if (t === 40) wal.log(encodeTombstones([{ ref: 3, mint: 20, maxt: 90 }]));
  }
  wal.close();
}

describe('WAL checkpoint', () => {
  it('keeps series, samples and tombstones that still matter, deletes the segments it covers', () => {
    const dir = tmpDir();
    build(dir);
    const before = readState(dir);
    const segs = listSegments(dir);
    expect(segs.length).toBeGreaterThan(8);
    const upTo = segs[Math.floor(segs.length / 2)];
    const keep = (ref: number): boolean => ref !== 4 && ref !== 5;
    const stats = checkpoint(dir, upTo, { series: keep, minTime: 50 });
    expect(listCheckpoints(dir)).toEqual([upTo]);
    expect(fs.readdirSync(dir).some((n) => n.endsWith('.tmp'))).toBe(false);
    expect(listSegments(dir)[0]).toBe(upTo + 1);
    expect(stats.deletedSegments).toBe(upTo + 1);

    // expected: records from segments <= upTo filtered, later ones untouched
    const after = readState(dir);
    expect(after.corruptions).toBe(0);
    expect(after.unknown).toBe(0); // the unknown record was in a checkpointed segment
    expect(after.series).toEqual(before.series.filter((s) => keep(Number(s.split(' ')[0]))));
    expect(after.stones).toEqual(['3 20 90']);
    // the samples of the checkpointed segments are those with t >= 50 of kept series
    const inCheckpoint = after.segments.filter((s) => s === upTo).length;
    expect(inCheckpoint).toBeGreaterThan(0);
    const lastCheckpointedT = Math.max(
      ...before.samples
        .filter((_, i) => sampleSegment(before, i) <= upTo)
        .map((s) => Number(s.split(' ')[1])),
    );
    const expected = before.samples.filter((s, i) => {
      const [ref, t] = s.split(' ').map(Number);
      return sampleSegment(before, i) > upTo || (t >= 50 && keep(ref));
    });
    expect(after.samples).toEqual(expected);
    expect(lastCheckpointedT).toBeGreaterThanOrEqual(50);
    expect(after.samples.filter((s) => s.endsWith(STALE_BITS)).length).toBe(10);
  });

  it('folds the previous checkpoint into the next and removes it', () => {
    const dir = tmpDir();
    build(dir);
    const before = readState(dir);
    const segs = listSegments(dir);
    checkpoint(dir, segs[5], { series: () => true, minTime: 0 });
    expect(readState(dir).samples).toEqual(before.samples);
    checkpoint(dir, segs[10], { series: () => true, minTime: 0 });
    expect(listCheckpoints(dir)).toEqual([segs[10]]);
    const after = readState(dir);
    expect(after.samples).toEqual(before.samples);
    expect(after.series).toEqual(before.series);
    expect(after.stones).toEqual(before.stones);
    // nothing new to fold: a no-op
    checkpoint(dir, segs[10], { series: () => true, minTime: 0 });
    expect(listCheckpoints(dir)).toEqual([segs[10]]);
    // the segment being written is never checkpointed
    const last = listSegments(dir).at(-1)!;
    expect(() => checkpoint(dir, last, { series: () => true, minTime: 0 })).toThrow(/excluded/);
  });

  it('replays from the checkpoint, and a new WAL continues after it even without segments', () => {
    const dir = tmpDir();
    build(dir);
    const segs = listSegments(dir);
    checkpoint(dir, segs[segs.length - 2], { series: () => true, minTime: 0 });
    fs.rmSync(path.join(dir, String(segs[segs.length - 1]).padStart(8, '0')));
    const wal = WAL.open(dir);
    expect(wal.currentSegment()).toBe(segs[segs.length - 2] + 1);
    wal.close();
    expect(readState(dir).corruptions).toBe(0);
  });

  it('cuts a corrupt checkpoint, counts it, and still replays the segments after it', () => {
    const dir = tmpDir();
    build(dir);
    const segs = listSegments(dir);
    const upTo = segs[10];
    checkpoint(dir, upTo, { series: () => true, minTime: 0 });
    const full = readState(dir);
    const file = path.join(dir, `checkpoint.${String(upTo).padStart(8, '0')}`, '00000000');
    const b = fs.readFileSync(file);
    b[b.length - 3] ^= 0x10; // inside the checkpoint's last record
    fs.writeFileSync(file, b);
    const got = readState(dir);
    expect(got.corruptions).toBe(1);
    expect(got.segments.filter((s) => s > upTo).length).toBe(full.segments.filter((s) => s > upTo).length);
    expect(readState(dir).corruptions).toBe(0);
  });

  it('fails without touching the WAL when a segment it reads is corrupt', () => {
    const dir = tmpDir();
    build(dir);
    const file = path.join(dir, '00000002');
    const b = fs.readFileSync(file);
    b[20] ^= 1;
    fs.writeFileSync(file, b);
    const segs = listSegments(dir);
    expect(() => checkpoint(dir, segs[5], { series: () => true, minTime: 0 })).toThrow(/corruption/);
    expect(listSegments(dir)).toEqual(segs);
    expect(listCheckpoints(dir)).toEqual([]);
    expect(fs.readdirSync(dir).some((n) => n.startsWith('checkpoint'))).toBe(false);
  });
});

/** The segment of the record holding the i-th sample (10 samples per record, records in order). */
function sampleSegment(st: State, i: number): number {
  // records: [series, samples×..., with tombstone/unknown records interleaved]; map sample i to its record
  let sampleRecords = -1;
  const targetRecord = Math.floor(i / 10);
  for (let r = 0; r < st.segments.length; r++) {
    if (recordKinds[r] === RecordType.Samples) sampleRecords++;
    if (sampleRecords === targetRecord) return st.segments[r];
  }
  throw new Error('sample not found');
}

// kinds of the records build() writes, in order
const recordKinds: number[] = (() => {
  const out: number[] = [RecordType.Series];
  for (let t = 0; t < 100; t++) {
    out.push(RecordType.Samples);
    if (t === 30) out.push(RecordType.Tombstones, 42);
    if (t === 40) out.push(RecordType.Tombstones);
  }
  return out;
})();
