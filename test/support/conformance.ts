// Prometheus's conformance fixtures live beside the repository in ../shared/conformance (see README,
// "Tests"). A suite that reads them asks here first: when the folder is absent, the suite is skipped
// with one line saying so, except under CI=true, where a failing test says what is missing.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';

const CONFORMANCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/conformance');

export interface ConformanceFixtures {
  /** Where the fixtures are (or would be). */
  dir: string;
  present: boolean;
}

/** `../shared/conformance/<sub>` for the suite named `suite`; call at module level, before its describes. */
export function conformanceFixtures(sub: string, suite: string): ConformanceFixtures {
  const dir = path.join(CONFORMANCE, sub);
  const present = fs.existsSync(dir);
  if (!present) {
    const why = `Prometheus's conformance fixtures are not at ${dir}`;
    if (process.env.CI === 'true') {
      it(`finds the conformance fixtures for ${suite}`, () => {
        throw new Error(`${why} (CI always has ../shared/conformance beside the repository)`);
      });
    } else {
      console.warn(`skipped: ${suite}, because ${why} (see README, "Tests")`);
    }
  }
  return { dir, present };
}
