// Query errors with Prometheus's API error types (web/api/v1 maps errorType to the HTTP status).

export type QueryErrorType = 'bad_data' | 'execution' | 'timeout' | 'canceled' | 'internal';

export class QueryError extends Error {
  constructor(
    readonly errorType: QueryErrorType,
    message: string,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}

export const ERR_TOO_MANY_SAMPLES =
  'query processing would load too many samples into memory in query execution';
export const ERR_TIMEOUT = 'query timed out in expression evaluation';
export const ERR_CANCELED = 'query was canceled in expression evaluation';
export const ERR_SAME_LABELSET = 'vector cannot contain metrics with the same labelset';
export const ERR_TOO_MANY_POINTS =
  'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)';

export function executionError(message: string): QueryError {
  return new QueryError('execution', message);
}
