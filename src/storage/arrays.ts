// Sample arrays for query results.

/**
 * A Float64Array of n samples whose memory is not zeroed first (the caller writes every slot it reads).
 * Sample arrays are allocated per series and per block by every query; `new Float64Array(n)` takes
 * them zeroed (calloc), which for arrays of 1-6k samples cost 1.5-2.5x an unzeroed allocation
 * (`Buffer.allocUnsafeSlow`: malloc, an ArrayBuffer of its own, never a slice of Node's pool).
 */
export function uninitializedFloat64(n: number): Float64Array<ArrayBuffer> {
  return new Float64Array(Buffer.allocUnsafeSlow(n * 8).buffer as ArrayBuffer, 0, n);
}
