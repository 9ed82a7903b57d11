// The WAL watcher over a real TSDB's log: every sample of a segment larger than its read window, in
// order, with each series' labels; a position resumes where it was saved.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { Labels } from '../../src/model/labels.js';
import { WalWatcher } from '../../src/remote/wal-watcher.js';
import { TSDB } from '../../src/tsdb/db.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('WAL watcher', () => {
  it('reads every sample of a segment bigger than its read window, with labels, and resumes at a position', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-watcher-'));
    dirs.push(dir);
    const db = TSDB.open({
      dir,
      retentionMs: 0,
      maxBytes: 0,
      logger: createLogger({ level: 'error', format: 'logfmt', write: () => undefined }),
    });
    // 2,000 series × 400 samples: several MiB of samples records in one segment
    for (let t = 0; t < 400; t++) {
      const app = db.appender();
      for (let i = 0; i < 2000; i++)
        app.append(0, Labels.fromRecord({ __name__: 'm', i: String(i) }), t * 1000, t);
      await app.commit();
    }
    const wal = path.join(dir, 'wal');
    const size = fs.statSync(path.join(wal, '00000000')).size;
    expect(size).toBeGreaterThan(4 * 1024 * 1024);
    const w = new WalWatcher({ walDir: wal, start: { segment: 0, offset: 0 } });
    let n = 0;
    let lastT = -1;
    let ordered = true;
    let mid: { segment: number; offset: number } | undefined;
    w.poll((s) => {
      for (let i = 0; i < s.length; i++) {
        if (s.ts[i] < lastT) ordered = false;
        lastT = s.ts[i];
        expect(w.series.get(s.refs[i])?.get('__name__')).toBe('m');
      }
      n += s.length;
      if (n === 2000 * 200) mid = s.end;
      return true;
    });
    expect(n).toBe(2000 * 400);
    expect(ordered).toBe(true);
    expect(w.position).toEqual({ segment: 0, offset: size });
    // a watcher from a saved position sees the rest only, labels known from the records before it
    const again = new WalWatcher({ walDir: wal, start: mid });
    let rest = 0;
    again.poll((s) => {
      for (let i = 0; i < s.length; i++) expect(again.series.has(s.refs[i])).toBe(true);
      rest += s.length;
      return true;
    });
    expect(rest).toBe(2000 * 200);
    db.close();
  });
});
