// The PromQL engine's public surface.
export { Engine } from './engine.js';
export { QueryError, type QueryErrorType } from './errors.js';
export type { EngineOptions, QueryResult, QueryValue, Sample, SeriesPoints } from './types.js';
