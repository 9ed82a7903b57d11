// Property tests over the parsers: arbitrary input never throws anything but ParseError, pathological
// 1 MB bodies finish, and what the writer writes the parsers read back unchanged.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Labels } from '../../../src/model/labels.js';
import { OpenMetricsParser } from '../../../src/model/exposition/parser-openmetrics.js';
import { PromTextParser } from '../../../src/model/exposition/parser-text.js';
import {
  Entry,
  ParseError,
  type ExpositionParser,
  type MetricFamily,
} from '../../../src/model/exposition/types.js';
import { writeOpenMetrics, writeText } from '../../../src/model/exposition/writer.js';

type Make = (body: string) => ExpositionParser;
const PARSERS: Array<[string, Make]> = [
  ['text', (b) => new PromTextParser(b)],
  ['openmetrics', (b) => new OpenMetricsParser(b)],
];

/** Reads every entry, touching every accessor a consumer may call. */
function drain(p: ExpositionParser): number {
  let samples = 0;
  for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
    if (e === Entry.Series) {
      p.seriesText();
      p.labels();
      p.value();
      p.timestamp();
      p.exemplar();
      samples++;
    } else if (e === Entry.Type) p.metricType();
    else if (e === Entry.Help) p.help();
    else if (e === Entry.Unit) p.unit();
  }
  return samples;
}

function onlyParseErrors(make: Make, body: string): void {
  try {
    drain(make(body));
  } catch (err) {
    if (!(err instanceof ParseError))
      throw new Error(`non-ParseError thrown for ${JSON.stringify(body.slice(0, 200))}: ${String(err)}`, {
        cause: err,
      });
  }
}

// Characters that drive the lexers into their interesting states.
const GRAMMAR = [
  'a',
  'b',
  '_',
  ':',
  '.',
  '{',
  '}',
  '"',
  '\\',
  '=',
  ',',
  ' ',
  '\t',
  '\n',
  '#',
  '0',
  '1',
  '9',
  'e',
  '+',
  '-',
  'x',
  'p',
  'N',
  'I',
  'n',
  'f',
  'T',
  'Y',
  'P',
  'E',
  'H',
  'L',
  'U',
  'O',
  'F',
  '\u00e9',
  '\ufffd',
  '\u0000',
];
const WORDS = [
  '# EOF\n',
  '# TYPE ',
  '# HELP ',
  '# UNIT ',
  'counter',
  'gauge',
  'histogram',
  'summary',
  'le',
  'NaN',
  '+Inf',
  '-Inf',
  '_total',
  '_created',
  ' # {',
  'trace_id="x"}',
  '\n',
];

describe.each(PARSERS)('%s parser on arbitrary input', (_name, make) => {
  it('throws only ParseError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) =>
        onlyParseErrors(make, new TextDecoder().decode(bytes)),
      ),
      { numRuns: 3000 },
    );
  });

  it('throws only ParseError on grammar-shaped strings', () => {
    const piece = fc.oneof(fc.constantFrom(...GRAMMAR), fc.constantFrom(...WORDS));
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 200 }).map((a) => a.join('')),
        (body) => onlyParseErrors(make, body),
      ),
      {
        numRuns: 5000,
      },
    );
  });

  it('throws only ParseError on mutations of a valid body', () => {
    const valid =
      '# HELP m_total A counter.\n# TYPE m_total counter\nm_total{a="1",b="x\\"y"} 1.5 1700000000\n# EOF\n';
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.constantFrom(...GRAMMAR), (at, ch) =>
        onlyParseErrors(make, valid.slice(0, at) + ch + valid.slice(at + 1)),
      ),
      { numRuns: 3000 },
    );
  });

  // Linear time: these 1 MB bodies would take minutes with a backtracking or quadratic parser; here
  // each must simply finish (the benchmark records the MB/s against a normal body).
  it.each([
    ['one huge label value', 'm{a="' + 'x'.repeat(1 << 20) + '"} 1\n'],
    ['escapes everywhere', 'm{a="' + '\\\\\\"'.repeat(1 << 18) + '"} 1\n'],
    ['unterminated quote', 'm{a="' + 'y'.repeat(1 << 20)],
    ['many labels', 'm{' + Array.from({ length: 100_000 }, (_, i) => `l${i}="v"`).join(',') + '} 1\n'],
    ['open braces', '{'.repeat(1 << 20)],
    ['hashes', '#'.repeat(1 << 20)],
    ['long comment lines', ('# ' + 'c'.repeat(1000) + '\n').repeat(1000)],
    ['long name', 'a'.repeat(1 << 20) + ' 1\n'],
    ['long number', 'm ' + '1'.repeat(1 << 20) + '\n'],
    ['many tiny lines', 'm 1\n'.repeat(1 << 18)],
  ])('finishes on a 1 MB body: %s', (_what, body) => {
    expect(body.length).toBeGreaterThan(900_000);
    onlyParseErrors(make, body);
  });
});

// ---- writer → parser round trips ----

const legacyName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/);
const utf8Name = fc
  .string({ minLength: 1, maxLength: 10 })
  .filter((s) => s.isWellFormed() && !s.includes('\u0000'));
const labelName = fc.oneof(legacyName, utf8Name).filter((n) => n !== '__name__' && !n.startsWith('__'));
const labelValue = fc
  .string({ minLength: 1, maxLength: 20 })
  .filter((s) => s.isWellFormed() && !s.includes('\u0000'));
const value = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 0, 1, -1));

const family = fc.record({
  name: fc.oneof(legacyName, utf8Name),
  labelSets: fc.uniqueArray(fc.dictionary(labelName, labelValue, { maxKeys: 4 }), {
    minLength: 1,
    maxLength: 5,
    selector: (d) => JSON.stringify(Object.entries(d).sort()),
  }),
  values: fc.array(value, { minLength: 5, maxLength: 5 }),
  timestamp: fc.option(fc.integer({ min: 0, max: 4_000_000_000_000 }), { nil: undefined }),
  help: fc.option(
    fc.string({ maxLength: 30 }).filter((s) => s.isWellFormed() && !s.includes('\u0000')),
    { nil: undefined },
  ),
});

type GeneratedFamily = typeof family extends fc.Arbitrary<infer T> ? T : never;

function toFamilies(gen: GeneratedFamily[]): MetricFamily[] {
  const seen = new Set<string>();
  return gen
    .filter((g) => !seen.has(g.name) && seen.add(g.name))
    .map((g) => ({
      name: g.name,
      type: 'gauge' as const,
      help: g.help,
      samples: g.labelSets.map((ls, i) => ({
        labels: Labels.fromRecord({ ...ls, __name__: g.name }),
        value: g.values[i % g.values.length],
        // OpenMetrics timestamps are seconds: keep to whole milliseconds that survive the division
        timestamp: g.timestamp,
      })),
    }));
}

function readBack(p: ExpositionParser): Array<{ labels: Labels; value: number; timestamp?: number }> {
  const out: Array<{ labels: Labels; value: number; timestamp?: number }> = [];
  for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
    if (e === Entry.Series) out.push({ labels: p.labels(), value: p.value(), timestamp: p.timestamp() });
  }
  return out;
}

describe('writer → parser round trips', () => {
  it.each([
    ['text', writeText, (b: string) => new PromTextParser(b)],
    ['openmetrics', writeOpenMetrics, (b: string) => new OpenMetricsParser(b)],
  ] as const)('%s: every series, value and timestamp comes back', (name, write, make) => {
    // OpenMetrics carries seconds; like Prometheus (int64(ts*1000)) the parser truncates, so a
    // millisecond can be lost to float rounding there.
    const tsSlack = name === 'openmetrics' ? 1 : 0;
    fc.assert(
      fc.property(fc.array(family, { minLength: 1, maxLength: 4 }), (gen) => {
        const families = toFamilies(gen);
        const body = write(families);
        const got = readBack(make(body));
        const want = families.flatMap((f) => f.samples);
        expect(got.length).toBe(want.length);
        got.forEach((g, i) => {
          expect(g.labels.toString()).toBe(want[i].labels.toString());
          expect(
            Object.is(g.value, want[i].value) || (Number.isNaN(g.value) && Number.isNaN(want[i].value)),
          ).toBe(true);
          if (want[i].timestamp === undefined) expect(g.timestamp).toBeUndefined();
          else expect(Math.abs(g.timestamp! - want[i].timestamp!)).toBeLessThanOrEqual(tsSlack);
        });
      }),
      { numRuns: 500 },
    );
  });
});

// ---- the scrape-cache hint never changes what is parsed ----

function entries(
  p: ExpositionParser,
  hints: (i: number, prev: string | undefined) => string | undefined,
): string[] {
  const out: string[] = [];
  let prev: string | undefined;
  for (let i = 0; ; i++) {
    p.expectSeries(hints(i, prev));
    const e = p.next();
    if (e === Entry.EOF) return out;
    if (e === Entry.Series) {
      prev = p.seriesText();
      out.push(
        `${prev} ${p.labels().toString()} ${p.value()} ${p.timestamp()} ${JSON.stringify(p.exemplar() ?? null)}`,
      );
    } else out.push(`entry ${e}`);
  }
}

describe.each(PARSERS)('%s parser with scrape-cache hints', (name, make) => {
  const body =
    '# HELP h_seconds A histogram.\n# TYPE h_seconds histogram\n' +
    'h_seconds_bucket{le="0.1"} 1\nh_seconds_bucket{le="1"} 2\nh_seconds_bucket{le="+Inf"} 3\nh_seconds_sum 4.5\nh_seconds_count 3\n' +
    '# TYPE g gauge\ng{a="x",b="y"} 1 1700000000\ng{a="x",b="z"} 2\ng 3\n' +
    (name === 'openmetrics' ? '# EOF\n' : '');
  const series = entries(make(body), () => undefined)
    .filter((e) => !e.startsWith('entry'))
    .map((e) => e.slice(0, e.indexOf(' ')));

  it('gives the same entries with right, wrong, shifted and arbitrary hints', () => {
    const plain = entries(make(body), () => undefined);
    expect(plain.length).toBeGreaterThan(8);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...series), fc.string({ maxLength: 30 }), fc.constant(undefined)), {
          maxLength: 20,
        }),
        (hints) => {
          expect(entries(make(body), (i) => hints[i])).toEqual(plain);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('returns the hint itself when it matches, and the right labels after le normalisation', () => {
    const p = make(body);
    const hint = 'h_seconds_bucket{le="1"}';
    const got: Array<{ same: boolean; labels: string }> = [];
    for (let e = (p.expectSeries(hint), p.next()); e !== Entry.EOF; e = (p.expectSeries(hint), p.next())) {
      if (e === Entry.Series) got.push({ same: p.seriesText() === hint, labels: p.labels().toString() });
    }
    const matched = got.filter((g) => g.same);
    expect(matched).toHaveLength(1);
    // Prometheus 3 normalises le="1" to "1.0" for histograms; the hint path must too
    expect(matched[0].labels).toBe('h_seconds_bucket{le="1.0"}');
  });
});
