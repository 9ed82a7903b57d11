// /api/v1/admin/tsdb/{delete_series,clean_tombstones,snapshot} as Prometheus's web/api/v1 serves them:
// POST or PUT, refused with `unavailable` "admin APIs disabled" unless --web.enable-admin-api is set,
// 204 without a body for delete and clean, {"name": ...} of the directory under <data>/snapshots.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Matcher } from '../../../model/matcher.js';
import { parseMetricSelector } from '../../../promql/parser/index.js';
import { formValues, registerFormParser } from '../../request-form.js';
import { sendError, sendSuccess } from './envelope.js';
import { API_MAX_TIME_MS, API_MIN_TIME_MS, ParamError, timeParam } from './timestamps.js';

/** The storage operations behind the admin endpoints (the TSDB has them). */
export interface TSDBAdmin {
  deleteSeries(matchers: readonly Matcher[], mint: number, maxt: number): Promise<void>;
  cleanTombstones(): Promise<void>;
  snapshot(dir: string, withHead: boolean): Promise<void>;
}

export interface AdminOptions {
  /** --web.enable-admin-api */
  enabled: boolean;
  /** --storage.tsdb.path: snapshots go to <dataDir>/snapshots/<name>. */
  dataDir: string;
  /** The open storage; undefined while it opens. */
  db(): TSDBAdmin | undefined;
}

export function registerAdminRoutes(parent: FastifyInstance, opts: AdminOptions | undefined): void {
  // A context of their own: the form body parser added here cannot clash with one added elsewhere.
  void parent.register(async (app) => adminRoutes(app, opts));
}

function adminRoutes(app: FastifyInstance, opts: AdminOptions | undefined): void {
  registerFormParser(app);

  const guard = (reply: FastifyReply): TSDBAdmin | undefined => {
    if (opts === undefined || !opts.enabled) {
      sendError(reply, 'unavailable', 'admin APIs disabled');
      return undefined;
    }
    const db = opts.db();
    if (db === undefined) sendError(reply, 'unavailable', 'TSDB not ready');
    return db;
  };

  app.route({
    method: ['POST', 'PUT'],
    url: '/api/v1/admin/tsdb/delete_series',
    handler: async (req, reply) => {
      const db = guard(reply);
      if (db === undefined) return reply;
      const form = formValues(req);
      const selectors = form.getAll('match[]');
      if (selectors.length === 0) return sendError(reply, 'bad_data', 'no match[] parameter provided');
      let start: number;
      let end: number;
      try {
        start = timeParam(form, 'start', API_MIN_TIME_MS);
        end = timeParam(form, 'end', API_MAX_TIME_MS);
      } catch (err) {
        if (err instanceof ParamError) return sendError(reply, 'bad_data', err.message);
        throw err;
      }
      // As Prometheus: each selector is parsed and applied in turn; a bad one stops the rest.
      for (const s of selectors) {
        let matchers: Matcher[];
        try {
          matchers = parseMetricSelector(s);
        } catch (err) {
          return sendError(reply, 'bad_data', `invalid parameter "match[]": ${(err as Error).message}`);
        }
        try {
          await db.deleteSeries(matchers, start, end);
        } catch (err) {
          return sendError(reply, 'internal', (err as Error).message);
        }
      }
      return reply.code(204).send();
    },
  });

  app.route({
    method: ['POST', 'PUT'],
    url: '/api/v1/admin/tsdb/clean_tombstones',
    handler: async (_req, reply) => {
      const db = guard(reply);
      if (db === undefined) return reply;
      try {
        await db.cleanTombstones();
      } catch (err) {
        return sendError(reply, 'internal', (err as Error).message);
      }
      return reply.code(204).send();
    },
  });

  app.route({
    method: ['POST', 'PUT'],
    url: '/api/v1/admin/tsdb/snapshot',
    handler: async (req, reply) => {
      const db = guard(reply);
      if (db === undefined || opts === undefined) return reply;
      const raw = formValues(req).get('skip_head') ?? '';
      let skipHead = false;
      if (raw !== '') {
        const parsed = parseGoBool(raw);
        if (parsed === undefined)
          return sendError(
            reply,
            'bad_data',
            `invalid parameter "skip_head": unable to parse boolean: strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`,
          );
        skipHead = parsed;
      }
      const name = snapshotName(new Date());
      const dir = path.join(opts.dataDir, 'snapshots', name);
      try {
        fs.mkdirSync(dir, { recursive: true });
      } catch (err) {
        return sendError(reply, 'internal', `create snapshot directory: ${(err as Error).message}`);
      }
      try {
        await db.snapshot(dir, !skipHead);
      } catch (err) {
        return sendError(reply, 'internal', `create snapshot: ${(err as Error).message}`);
      }
      return sendSuccess(reply, { name });
    },
  });
}

/** Go's strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/** "20060102T150405Z-<16 hex digits>" as Prometheus names snapshots (UTC time, a random 63-bit number). */
function snapshotName(now: Date): string {
  const iso = now.toISOString();
  const stamp = iso.slice(0, 19).replace(/[-:]/g, '') + 'Z';
  const rand = crypto.randomBytes(8);
  rand[0] &= 0x7f;
  return `${stamp}-${rand.toString('hex')}`;
}
