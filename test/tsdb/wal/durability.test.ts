// log() durability against a process kill: a child process logs records with the built WAL and
// acknowledges each id (in a file, with a plain write) only after log() returned; it is SIGKILLed at a
// random moment, several times over the same directory. Every acknowledged id must replay.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/server-process.js';
import { cleanupDirs, recordId, replayAll, tmpDir } from './helpers.js';

afterEach(cleanupDirs);

const BUILT_WAL = path.join(REPO_ROOT, 'dist/src/tsdb/wal/wal.js');

const CHILD = `
import fs from 'node:fs';
const [walUrl, dir, ackFile, startArg] = process.argv.slice(2);
const { WAL } = await import(walUrl);
const wal = WAL.open(dir, { segmentSize: 64 * 1024 });
const ack = fs.openSync(ackFile, 'a');
let id = Number(startArg);
process.stdout.write('ready\\n');
for (;;) {
  const recs = [];
  const first = id;
  for (let j = 0, n = 1 + (id % 4); j < n; j++, id++) {
    const r = new Uint8Array(5 + ((id * 7919) % 3000));
    r[0] = 2;
    new DataView(r.buffer).setUint32(1, id, true);
    recs.push(r);
  }
  wal.log(...recs);
  let line = '';
  for (let k = first; k < id; k++) line += k + '\\n';
  fs.writeSync(ack, line);
}
`;

function runAndKill(
  script: string,
  dir: string,
  ackFile: string,
  start: number,
  delayMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [script, pathToFileURL(BUILT_WAL).href, dir, ackFile, String(start)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

describe('WAL durability', () => {
  it('replays every record acknowledged before a SIGKILL', async () => {
    if (!fs.existsSync(BUILT_WAL)) {
      throw new Error(
        `${BUILT_WAL} is missing: run the tests with \`npm test\`, which builds to dist/ first`,
      );
    }
    const base = tmpDir();
    const dir = path.join(base, 'wal');
    const ackFile = path.join(base, 'acked');
    const script = path.join(base, 'child.mjs');
    fs.writeFileSync(script, CHILD);
    let next = 0;
    let totalAcked = 0;
    for (let run = 0; run < 6; run++) {
      await runAndKill(script, dir, ackFile, next, 30 + Math.floor(Math.random() * 250));
      const text = fs.readFileSync(ackFile, 'utf8');
      // only whole lines count: a line cut by the kill was never fully acknowledged
      const acked = text
        .slice(0, text.lastIndexOf('\n') + 1)
        .split('\n')
        .filter(Boolean)
        .map(Number);
      const { recs, result } = replayAll(dir);
      const ids = recs.map(recordId);
      // records replay in order, with no gaps (a torn last record may be cut: it was never acknowledged)
      expect(ids).toEqual(ids.map((_, i) => i));
      const have = new Set(ids);
      expect(acked.filter((id) => !have.has(id))).toEqual([]);
      expect(result.corruptions).toBeLessThanOrEqual(1);
      expect(replayAll(dir).result.corruptions).toBe(0);
      totalAcked = acked.length;
      next = ids.length;
    }
    expect(totalAcked).toBeGreaterThan(100);
  });
});
