// The storage surface: the seams, their errors, the in-memory store and the merge querier.
export * from './interfaces.js';
export * from './errors.js';
export { MemoryStorage, seriesSet } from './memory.js';
export { mergeQueriers, mergeSampleBatches, mergeSortedStrings } from './merge.js';
