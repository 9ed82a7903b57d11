// Long block work (writing, compacting) is written as generators that yield between series, so the
// same code runs to completion synchronously (tools, tests) or interleaved with the event loop
// (the server), where no turn may hold the loop for long (DESIGN.md §4).

export class AbortedError extends Error {
  constructor() {
    super('block write aborted');
    this.name = 'AbortedError';
  }
}

/** Runs a step generator to completion in this turn. */
export function runSync<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Time a turn may keep the event loop before yielding to other work. */
const SLICE_MS = 10;

/**
 * Runs a step generator, giving the event loop back whenever a slice is used up. `aborted()` is
 * checked at each yield; when it says so, the generator gets an AbortedError to clean up with.
 */
export async function runAsync<T>(
  steps: Generator<void, T, void>,
  aborted: () => boolean = () => false,
): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() - sliceStart < SLICE_MS) continue;
    await new Promise<void>((resolve) => setImmediate(resolve));
    sliceStart = performance.now();
    if (aborted()) {
      steps.throw(new AbortedError());
      throw new AbortedError(); // only reached if the generator swallowed it
    }
  }
}
