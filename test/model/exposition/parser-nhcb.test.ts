// convert_classic_histograms_to_nhcb's parser wrapper (Prometheus's NHCBParser): a classic histogram
// family of a text body becomes one custom-bucket histogram entry, after its last series; its classic
// series go (or stay with keepClassic); other families and malformed histograms are left alone.
import { describe, expect, it } from 'vitest';
import {
  Entry,
  NhcbParser,
  PromTextParser,
  type ExpositionParser,
} from '../../../src/model/exposition/index.js';

type Out = Array<string | { hist: string; h: unknown }>;

function drain(p: ExpositionParser): Out {
  const out: Out = [];
  for (;;) {
    const k = p.next();
    if (k === Entry.EOF) return out;
    if (k === Entry.Series) out.push(`${p.labels().toString()} ${p.value()}`);
    else if (k === Entry.Histogram) {
      const x = p.histogram!();
      const h = x.h ?? x.fh!;
      out.push({
        hist: `${p.labels().toString()} ${p.seriesText() === p.labels().toString()}`,
        h: { int: x.h !== undefined, count: h.count, sum: h.sum, cv: h.customValues, b: h.positiveBuckets },
      });
    } else if (k === Entry.Type) out.push(`# TYPE ${p.family()} ${p.metricType()}`);
  }
}

const BODY = `# TYPE rpc_seconds histogram
rpc_seconds_bucket{job="a",le="0.1"} 1
rpc_seconds_bucket{job="a",le="1"} 3
rpc_seconds_bucket{job="a",le="+Inf"} 4
rpc_seconds_sum{job="a"} 2.5
rpc_seconds_count{job="a"} 4
rpc_seconds_bucket{job="b",le="0.1"} 0
rpc_seconds_bucket{job="b",le="1"} 0.5
rpc_seconds_bucket{job="b",le="+Inf"} 0.5
rpc_seconds_count{job="b"} 0.5
# TYPE up gauge
up 1
`;

describe('NhcbParser', () => {
  it('turns each classic histogram into one custom-bucket histogram and drops its series', () => {
    expect(drain(new NhcbParser(new PromTextParser(BODY), false))).toEqual([
      '# TYPE rpc_seconds histogram',
      {
        hist: 'rpc_seconds{job="a"} true',
        h: { int: true, count: 4, sum: 2.5, cv: [0.1, 1], b: [1, 1, -1] },
      },
      {
        hist: 'rpc_seconds{job="b"} true',
        h: { int: false, count: 0.5, sum: 0, cv: [0.1, 1], b: [0.5] },
      },
      '# TYPE up gauge',
      'up 1',
    ]);
  });

  it('keeps the classic series too with keepClassic (always_scrape_classic_histograms)', () => {
    const out = drain(new NhcbParser(new PromTextParser(BODY), true));
    expect(out.filter((x) => typeof x === 'string' && x.startsWith('rpc_seconds'))).toHaveLength(9);
    expect(out.filter((x) => typeof x !== 'string')).toHaveLength(2);
    // the histogram comes right after its last classic series
    expect(out[5]).toBe('rpc_seconds_count{job="a"} 4');
    expect(out[6]).toMatchObject({ hist: 'rpc_seconds{job="a"} true' });
  });

  it('leaves untyped series and a histogram that does not convert alone, dropping only the latter', () => {
    const body = `# TYPE bad histogram
bad_bucket{le="1"} 5
bad_bucket{le="2"} 3
bad_count 5
plain_bucket{le="1"} 1
`;
    expect(drain(new NhcbParser(new PromTextParser(body), false))).toEqual([
      '# TYPE bad histogram',
      'plain_bucket{le="1.0"} 1', // le normalised by the text parser, as Prometheus 3
    ]);
  });
});
