// Append errors with Prometheus's names and messages (storage/interface.go).
import { formatGoFloat } from '../model/exposition/writer.js';

export type StorageErrorKind =
  'out_of_order' | 'out_of_bounds' | 'too_old' | 'duplicate' | 'invalid_sample' | 'closed';

export class StorageError extends Error {
  constructor(
    readonly kind: StorageErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

export const errOutOfOrderSample = (): StorageError =>
  new StorageError('out_of_order', 'out of order sample');
export const errOutOfBounds = (): StorageError => new StorageError('out_of_bounds', 'out of bounds');
export const errTooOldSample = (): StorageError => new StorageError('too_old', 'too old sample');

/** Prometheus's NewDuplicateFloatErr: values in Go's %g. */
export function errDuplicateSample(t: number, existing: number, value: number): StorageError {
  if (t === 0) return new StorageError('duplicate', 'duplicate sample for timestamp');
  return new StorageError(
    'duplicate',
    `duplicate sample for timestamp ${t}; overrides not allowed: existing ${formatGoFloat(existing)}, new value ${formatGoFloat(value)}`,
  );
}

export const errInvalidSample = (why: string): StorageError =>
  new StorageError('invalid_sample', `${why}: invalid sample`);
export const errAppenderClosed = (): StorageError => new StorageError('closed', 'appender closed');
