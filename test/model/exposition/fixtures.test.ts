// Every conformance body (Prometheus's own textparse testdata) parses completely; counts are
// computed here line by line, independently of the parsers.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OpenMetricsParser } from '../../../src/model/exposition/parser-openmetrics.js';
import { PromTextParser } from '../../../src/model/exposition/parser-text.js';
import { Entry, type ExpositionParser } from '../../../src/model/exposition/types.js';
import { conformanceFixtures } from '../../support/conformance.js';

const fixtures = conformanceFixtures('textparse', 'the exposition conformance bodies');
const dir = fixtures.dir;

function parserFor(file: string, body: string): ExpositionParser {
  if (file.endsWith('.om.txt')) return new OpenMetricsParser(body);
  if (file.endsWith('.prom.txt')) return new PromTextParser(body);
  throw new Error(`no parser for ${file}`);
}

interface Seen {
  families: number;
  samples: number;
  exemplars: number;
  series: Map<string, { labels: Record<string, string>; value: number; t: number | undefined }>;
}

function parse(file: string, body: string): Seen {
  const p = parserFor(file, body);
  const seen: Seen = { families: 0, samples: 0, exemplars: 0, series: new Map() };
  for (let k = p.next(); k !== Entry.EOF; k = p.next()) {
    if (k === Entry.Type) seen.families++;
    if (k !== Entry.Series) continue;
    seen.samples++;
    if (p.exemplar() !== undefined) seen.exemplars++;
    seen.series.set(p.seriesText(), { labels: p.labels().toRecord(), value: p.value(), t: p.timestamp() });
  }
  return seen;
}

describe.skipIf(!fixtures.present)('conformance bodies', () => {
  const files = fixtures.present ? readdirSync(dir).filter((f) => /\.(om|prom)\.txt$/.test(f)) : [];

  it.each(files)('%s parses with the right counts', (file) => {
    const body = readFileSync(path.join(dir, file), 'utf8');
    const lines = body.split('\n').filter((l) => l !== '');
    const expected = {
      families: lines.filter((l) => /^#\s+TYPE\s/.test(l)).length,
      samples: lines.filter((l) => !l.startsWith('#')).length,
      exemplars: file.endsWith('.om.txt')
        ? lines.filter((l) => !l.startsWith('#') && l.includes(' # {')).length
        : 0,
    };
    const seen = parse(file, body);
    expect({ families: seen.families, samples: seen.samples, exemplars: seen.exemplars }).toEqual(expected);
    expect(expected.samples).toBeGreaterThan(0);
  });

  it('reads exact samples of alltypes.237mfs.prom.txt', () => {
    const file = 'alltypes.237mfs.prom.txt';
    const seen = parse(file, readFileSync(path.join(dir, file), 'utf8'));
    expect(seen.series.get('go_gc_duration_seconds{quantile="0.5"}')).toEqual({
      labels: { __name__: 'go_gc_duration_seconds', quantile: '0.5' },
      value: 0.000135819,
      t: undefined,
    });
    // Prometheus 3 normalises le of classic histograms: "1e+09" is already canonical.
    expect(seen.series.get('prometheus_http_response_size_bytes_bucket{handler="/",le="1e+09"}')).toEqual({
      labels: { __name__: 'prometheus_http_response_size_bytes_bucket', handler: '/', le: '1e+09' },
      value: 688,
      t: undefined,
    });
    expect(seen.series.get('go_gc_cycles_automatic_gc_cycles_total')?.value).toBe(190932);
  });

  it('reads exact samples and exemplars of alltypes.5mfs.om.txt', () => {
    const file = 'alltypes.5mfs.om.txt';
    const body = readFileSync(path.join(dir, file), 'utf8');
    const seen = parse(file, body);
    expect(seen.series.get('promhttp_metric_handler_errors_created{cause="encoding"}')).toEqual({
      labels: { __name__: 'promhttp_metric_handler_errors_created', cause: 'encoding' },
      value: 1.726839813016397e9,
      t: undefined,
    });
    const p = new OpenMetricsParser(body);
    let ex;
    for (let k = p.next(); k !== Entry.EOF; k = p.next()) {
      if (
        k === Entry.Series &&
        p.seriesText() === 'rpc_durations_histogram_seconds_bucket{le="-0.0002899999999999998"}'
      ) {
        expect(p.value()).toBe(3);
        ex = p.exemplar();
      }
    }
    expect(ex?.labels.toRecord()).toEqual({ dummyID: '17783' });
    expect(ex?.value).toBe(-0.0003825067330956884);
    expect(ex?.timestamp).toBe(Math.trunc(1.7268398142239082e9 * 1000));
  });

  it('normalises le in 1histogram.om.txt', () => {
    const file = '1histogram.om.txt';
    const seen = parse(file, readFileSync(path.join(dir, file), 'utf8'));
    const s = seen.series.get(
      'golang_manual_histogram_seconds_bucket{address="0.0.0.0",generation="20",port="5001",le="10.0"}',
    );
    expect(s).toEqual({
      labels: {
        __name__: 'golang_manual_histogram_seconds_bucket',
        address: '0.0.0.0',
        generation: '20',
        port: '5001',
        le: '10.0',
      },
      value: 1,
      t: undefined,
    });
  });
});
