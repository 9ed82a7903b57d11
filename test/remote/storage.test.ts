// The remote_write queues across config reloads (Prometheus's WriteStorage.ApplyConfig): an unchanged
// entry keeps its running queue, a changed one is replaced and resumes from the saved WAL position (so
// nothing is lost or sent twice in between), a removed one stops.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import snappy from 'snappy';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log/logger.js';
import { Labels } from '../../src/model/labels.js';
import { decodeWriteV1 } from '../../src/remote/messages.js';
import { RemoteStorage } from '../../src/remote/storage.js';
import { TSDB } from '../../src/tsdb/db.js';
import { waitFor } from '../support/server-process.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function receiver(): Promise<{ url: string; times: number[] }> {
  const times: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      for (const s of decodeWriteV1(snappy.uncompressSync(Buffer.concat(chunks)) as Buffer).series)
        for (const x of s.samples) times.push(x.t);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`, times };
}

describe('remote storage', () => {
  it('keeps, replaces and stops queues as the config changes, losing and repeating nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-remote-storage-'));
    const logger = createLogger({ level: 'error', format: 'logfmt', write: () => undefined });
    const db = TSDB.open({ dir, retentionMs: 0, maxBytes: 0, logger });
    const storage = new RemoteStorage({
      dataDir: dir,
      logger,
      userAgent: 'Prometheus/3.14.0',
      flushDeadlineMs: 1000,
    });
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    cleanups.push(() => db.close());
    cleanups.push(() => storage.stop());
    const a = await receiver();
    const b = await receiver();
    const config = (url: string, extra = ''): ReturnType<typeof parseConfig> =>
      parseConfig(
        `remote_write:\n  - url: ${url}\n    name: main\n    queue_config: {batch_send_deadline: 50ms}\n${extra}`,
        path.join(dir, 'prometheus.yml'),
        dir,
      );
    const append = async (t: number): Promise<void> => {
      const app = db.appender();
      app.append(0, Labels.fromRecord({ __name__: 'm' }), t, t);
      await app.commit();
    };
    await storage.applyConfig(config(a.url));
    await waitFor(() => storage.list().length === 1 && storage.list()[0].shards === 1);
    await append(1000);
    await waitFor(() => a.times.length === 1);
    // the same config: the same queue goes on
    await storage.applyConfig(config(a.url));
    await append(2000);
    await waitFor(() => a.times.length === 2);
    // another URL under the same name: the new queue resumes where the old one stopped
    await storage.applyConfig(config(b.url));
    await append(3000);
    await waitFor(() => b.times.length === 1);
    expect(a.times).toEqual([1000, 2000]);
    expect(b.times).toEqual([3000]);
    // removed: no more sends
    await storage.applyConfig(parseConfig('scrape_configs: []\n', path.join(dir, 'prometheus.yml'), dir));
    expect(storage.list()).toEqual([]);
    await append(4000);
    expect(b.times).toEqual([3000]);
  });
});
