// time(), vector(), scalar() and the calendar functions (UTC), as Prometheus's dateWrapper.
import { Labels } from '../../../model/labels.js';
import type { FunctionImpl, InstantVector } from './types.js';
import { dropped, scalarArg, vectorArg } from './util.js';

/** Go's int64(f) truncation toward zero, then seconds → a UTC Date. */
function dateOf(seconds: number): Date {
  return new Date(Math.trunc(seconds) * 1000);
}

function daysInMonth(d: Date): number {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
}

function dayOfYear(d: Date): number {
  const start = Date.UTC(d.getUTCFullYear(), 0, 1);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return Math.round((day - start) / 86_400_000) + 1;
}

function dateFn(f: (d: Date) => number): FunctionImpl {
  return (args, ctx) => {
    if (args.length === 0) {
      return [{ labels: Labels.EMPTY, t: ctx.evalTime, v: f(dateOf(Math.trunc(ctx.evalTime / 1000))) }];
    }
    const out: InstantVector = [];
    for (const el of vectorArg(args, 0)) out.push(dropped(el, f(dateOf(el.v))));
    return out;
  };
}

export const TIME_FUNCTIONS: Record<string, FunctionImpl> = {
  time: (_args, ctx) => ctx.evalTime / 1000,
  // Experimental: the query's bounds and resolution in seconds, constant across steps.
  start: (_args, ctx) => ctx.queryStart / 1000,
  end: (_args, ctx) => ctx.queryEnd / 1000,
  range: (_args, ctx) => (ctx.queryEnd - ctx.queryStart) / 1000,
  step: (_args, ctx) => ctx.queryStep / 1000,
  vector: (args, ctx) => [{ labels: Labels.EMPTY, t: ctx.evalTime, v: scalarArg(args, 0) }],
  scalar: (args) => {
    const v = vectorArg(args, 0);
    return v.length === 1 ? v[0].v : NaN;
  },
  days_in_month: dateFn(daysInMonth),
  day_of_month: dateFn((d) => d.getUTCDate()),
  day_of_week: dateFn((d) => d.getUTCDay()),
  day_of_year: dateFn(dayOfYear),
  hour: dateFn((d) => d.getUTCHours()),
  minute: dateFn((d) => d.getUTCMinutes()),
  month: dateFn((d) => d.getUTCMonth() + 1),
  year: dateFn((d) => d.getUTCFullYear()),
};
