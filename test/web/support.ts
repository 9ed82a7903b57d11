// Helpers for the web integration tests: a data directory filled through the TSDB before the server
// starts, raw HTTP (to see compressed bytes), temp directories.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/log/logger.js';
import { Labels } from '../../src/model/labels.js';
import { TSDB } from '../../src/tsdb/db.js';

export interface SeedSample {
  labels: Record<string, string>;
  t: number;
  v: number;
}

const quiet = createLogger({ level: 'error', format: 'logfmt', write: () => undefined });

export function tempDir(dirs: string[]): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-web-'));
  dirs.push(d);
  return d;
}

/** Writes the samples (in the given order) into a TSDB at `dir`; compacts the head first when asked. */
export async function seedTSDB(
  dir: string,
  samples: SeedSample[],
  opts: { compact?: boolean } = {},
): Promise<void> {
  const db = TSDB.open({ dir, retentionMs: 0, maxBytes: 0, logger: quiet });
  try {
    const app = db.appender();
    for (const s of samples) app.append(0, Labels.fromRecord(s.labels), s.t, s.v);
    await app.commit();
    if (opts.compact) await db.compact();
  } finally {
    db.close();
  }
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request without any decoding of the body (fetch would gunzip silently). */
export function rawRequest(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
