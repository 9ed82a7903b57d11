// Child process for the crash test: `write DIR START` appends and commits batches forever, printing
// "C <t>" after each commit resolved; `verify DIR` prints every stored timestamp per series as JSON.
// The lines are written synchronously, so a kill leaves at most one committed batch unannounced and the
// parent's next start (10 batches later) is always past everything stored.
import fs from 'node:fs';
import { TSDB } from '../../dist/src/tsdb/db.js';
import { Labels } from '../../dist/src/model/labels.js';
import { Matcher } from '../../dist/src/model/matcher.js';
import { createLogger } from '../../dist/src/log/logger.js';

const [mode, dir, startArg] = process.argv.slice(2);
const logger = createLogger({ level: 'error', format: 'logfmt' });
const SERIES = 50;
const db = TSDB.open({ dir, retentionMs: 0, maxBytes: 0, logger, walSegmentSize: 256 * 1024 });

if (mode === 'verify') {
  const q = db.querier(-Infinity, Infinity);
  const out = {};
  for (const s of q.select([new Matcher('=', '__name__', 'crash_test')])) {
    const b = s.samples();
    out[s.labels.get('series')] = Array.from(b.t.subarray(0, b.length));
  }
  q.close();
  process.stdout.write(JSON.stringify(out) + '\n');
  db.close();
} else {
  const labels = Array.from({ length: SERIES }, (_, i) =>
    Labels.fromRecord({ __name__: 'crash_test', series: String(i) }),
  );
  const refs = new Array(SERIES).fill(0);
  let t = Number(startArg);
  const step = async () => {
    const app = db.appender();
    for (let i = 0; i < SERIES; i++) refs[i] = app.append(refs[i], labels[i], t, t);
    await app.commit();
    fs.writeSync(1, `C ${t}\n`);
    t += 1000;
    setImmediate(step);
  };
  step();
}
