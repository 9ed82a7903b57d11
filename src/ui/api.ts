// The Prometheus HTTP API, reached relative to the page so that --web.route-prefix needs no configuration:
// the pages live one level below the prefix (<prefix>/query), so "./api/v1/..." is "<prefix>/api/v1/...".
export class ApiError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

interface Envelope<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
  warnings?: string[];
  infos?: string[];
}

export interface ApiResult<T> {
  data: T;
  warnings: string[];
  infos: string[];
}

/** The server's base URL (the route prefix), without a trailing slash. */
export function apiBase(): string {
  return new URL('.', window.location.href).href.replace(/\/$/, '');
}

export async function apiGet<T>(path: string, params: Record<string, string> = {}): Promise<ApiResult<T>> {
  const query = new URLSearchParams(params).toString();
  const res = await fetch(`${apiBase()}/api/v1/${path}${query === '' ? '' : `?${query}`}`, {
    headers: { Accept: 'application/json' },
  });
  let body: Envelope<T>;
  try {
    body = (await res.json()) as Envelope<T>;
  } catch {
    throw new ApiError('network', `${res.status} ${res.statusText}: the answer is not JSON`);
  }
  if (body.status !== 'success' || body.data === undefined) {
    throw new ApiError(body.errorType ?? 'unknown', body.error ?? `${res.status} ${res.statusText}`);
  }
  return { data: body.data, warnings: body.warnings ?? [], infos: body.infos ?? [] };
}

export type SampleValue = [number, string];
export interface Histogram {
  count: string;
  sum: string;
  /** [boundary rule (0 (l,u], 1 [l,u), 2 (l,u), 3 [l,u]), lower, upper, count] per populated bucket. */
  buckets?: Array<[number, string, string, string]>;
}
export interface VectorSample {
  metric: Record<string, string>;
  value?: SampleValue;
  histogram?: [number, Histogram];
}
export interface MatrixSeries {
  metric: Record<string, string>;
  values?: SampleValue[];
  histograms?: Array<[number, Histogram]>;
}
export type QueryData =
  | { resultType: 'vector'; result: VectorSample[] }
  | { resultType: 'matrix'; result: MatrixSeries[] }
  | { resultType: 'scalar'; result: SampleValue }
  | { resultType: 'string'; result: SampleValue };

export interface Target {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  globalUrl: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: 'up' | 'down' | 'unknown';
  scrapeInterval: string;
  scrapeTimeout: string;
}
export interface TargetsData {
  activeTargets: Target[];
  droppedTargets: unknown[];
}
