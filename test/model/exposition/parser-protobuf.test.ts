// The protobuf exposition parser on bodies protobufjs writes from io.prometheus.client's schema: the
// entries and series Prometheus's protobufparse.go yields with native histograms not scraped.
import { describe, expect, it } from 'vitest';
import { Entry, ParseError, ProtobufParser, parserFor } from '../../../src/model/exposition/index.js';
import { encodeMetricFamilies, PROTO_CONTENT_TYPE } from '../../support/metrics-proto.js';

type Row = [string, ...unknown[]];

/** Every entry as a row: meta entries with their fields, series as labels text, value, timestamp. */
function entries(body: Uint8Array): Row[] {
  const p = new ProtobufParser(body);
  const out: Row[] = [];
  for (;;) {
    const e = p.next();
    if (e === Entry.EOF) return out;
    if (e === Entry.Help) out.push(['help', p.family(), p.help()]);
    else if (e === Entry.Unit) out.push(['unit', p.family(), p.unit()]);
    else if (e === Entry.Type) out.push(['type', p.family(), p.metricType()]);
    else if (e === Entry.Series) out.push(['series', p.labels().toString(), p.value(), p.timestamp()]);
  }
}

const label = (name: string, value: string) => ({ name, value });

describe('protobuf exposition parser', () => {
  it('reads counters, gauges and untyped series with labels, units and timestamps', () => {
    const body = encodeMetricFamilies([
      {
        name: 'http_requests_total',
        help: 'Requests.',
        type: 'COUNTER',
        metric: [
          { label: [label('method', 'get'), label('code', '200')], counter: { value: 1027 } },
          {
            label: [label('method', 'post'), label('code', '400')],
            counter: { value: 3 },
            timestamp_ms: 1395066363000,
          },
        ],
      },
      { name: 'temperature', help: '', type: 'GAUGE', unit: 'celsius', metric: [{ gauge: { value: -3.5 } }] },
      { name: 'thing', help: 'Untyped.', type: 'UNTYPED', metric: [{ untyped: { value: 7 } }] },
      { name: 'empty_family', help: 'No metrics: nothing at all.', type: 'GAUGE', metric: [] },
    ]);
    expect(entries(body)).toEqual([
      ['help', 'http_requests_total', 'Requests.'],
      ['type', 'http_requests_total', 'counter'],
      ['series', 'http_requests_total{code="200", method="get"}', 1027, undefined],
      ['series', 'http_requests_total{code="400", method="post"}', 3, 1395066363000],
      ['help', 'temperature', ''],
      ['unit', 'temperature', 'celsius'],
      ['type', 'temperature', 'gauge'],
      ['series', 'temperature', -3.5, undefined],
      ['help', 'thing', 'Untyped.'],
      ['type', 'thing', 'unknown'],
      ['series', 'thing', 7, undefined],
    ]);
  });

  it('reads summaries as _count, _sum and quantiles, histograms as _count, _sum and buckets with +Inf', () => {
    const body = encodeMetricFamilies([
      {
        name: 'rpc_seconds',
        help: 'RPC latency.',
        type: 'SUMMARY',
        metric: [
          {
            label: [label('service', 'a')],
            summary: {
              sample_count: 9,
              sample_sum: 4.5,
              quantile: [
                { quantile: 0.5, value: 0.25 },
                { quantile: 1, value: 2 },
              ],
            },
          },
        ],
      },
      {
        name: 'req_seconds',
        help: 'Latency.',
        type: 'HISTOGRAM',
        metric: [
          {
            histogram: {
              sample_count: 10,
              sample_sum: 3.25,
              bucket: [
                { upper_bound: 0.1, cumulative_count: 2 },
                { upper_bound: 1, cumulative_count: 7 },
              ],
            },
          },
        ],
      },
    ]);
    expect(entries(body)).toEqual([
      ['help', 'rpc_seconds', 'RPC latency.'],
      ['type', 'rpc_seconds', 'summary'],
      ['series', 'rpc_seconds_count{service="a"}', 9, undefined],
      ['series', 'rpc_seconds_sum{service="a"}', 4.5, undefined],
      ['series', 'rpc_seconds{quantile="0.5", service="a"}', 0.25, undefined],
      ['series', 'rpc_seconds{quantile="1.0", service="a"}', 2, undefined],
      ['help', 'req_seconds', 'Latency.'],
      ['type', 'req_seconds', 'histogram'],
      ['series', 'req_seconds_count', 10, undefined],
      ['series', 'req_seconds_sum', 3.25, undefined],
      ['series', 'req_seconds_bucket{le="0.1"}', 2, undefined],
      ['series', 'req_seconds_bucket{le="1.0"}', 7, undefined],
      ['series', 'req_seconds_bucket{le="+Inf"}', 10, undefined],
    ]);
  });

  it('reads a native histogram through its classic parts (native histograms not scraped)', () => {
    const body = encodeMetricFamilies([
      {
        name: 'nh_seconds',
        help: 'Native.',
        type: 'HISTOGRAM',
        metric: [
          {
            histogram: {
              sample_count: 5,
              sample_sum: 12,
              schema: 3,
              zero_threshold: 2 ** -128,
              zero_count: 1,
              positive_span: [{ offset: 0, length: 2 }],
              positive_delta: [2, 0],
            },
          },
        ],
      },
    ]);
    expect(entries(body).slice(2)).toEqual([
      ['series', 'nh_seconds_count', 5, undefined],
      ['series', 'nh_seconds_sum', 12, undefined],
      ['series', 'nh_seconds_bucket{le="+Inf"}', 5, undefined],
    ]);
  });

  it('is chosen by the protobuf content type and gives series texts unique per label set', () => {
    const body = encodeMetricFamilies([
      {
        name: 'a',
        help: '',
        type: 'GAUGE',
        metric: [
          { label: [label('x', '1')], gauge: { value: 1 } },
          { label: [label('x', '2')], gauge: { value: 2 } },
        ],
      },
    ]);
    const { parser } = parserFor(PROTO_CONTENT_TYPE, undefined, '', {}, body);
    const texts: string[] = [];
    for (let e = parser.next(); e !== Entry.EOF; e = parser.next())
      if (e === Entry.Series) texts.push(parser.seriesText());
    expect(new Set(texts).size).toBe(2);
  });

  it('names a repeated label, and fails on a truncated body or an unknown type', () => {
    const dup = encodeMetricFamilies([
      {
        name: 'd',
        help: '',
        type: 'GAUGE',
        metric: [{ label: [label('x', '1'), label('x', '2')], gauge: { value: 1 } }],
      },
    ]);
    const p = new ProtobufParser(dup);
    while (p.next() !== Entry.Series);
    expect(p.repeatedLabelName()).toBe('x');
    const ok = encodeMetricFamilies([
      { name: 'g', help: 'h', type: 'GAUGE', metric: [{ gauge: { value: 1 } }] },
    ]);
    expect(() => new ProtobufParser(ok.subarray(0, ok.length - 3))).toThrowError(ParseError);
    const bad = Uint8Array.from(ok);
    // the type field (3) holds GAUGE = 1; make it 9
    const at = bad.indexOf(0x18);
    bad[at + 1] = 9;
    expect(() => new ProtobufParser(bad)).toThrowError('unknown metric type for metric "g": 9');
  });
});

describe('protobuf exposition parser: native histograms scraped', () => {
  const nh = {
    name: 'nh_seconds',
    help: 'Native.',
    type: 'HISTOGRAM',
    metric: [
      {
        label: [label('path', '/')],
        histogram: {
          sample_count: 5,
          sample_sum: 12,
          schema: 3,
          zero_threshold: 2 ** -128,
          zero_count: 1,
          positive_span: [{ offset: -1, length: 2 }],
          positive_delta: [2, 0],
          bucket: [{ upper_bound: 1, cumulative_count: 3 }],
        },
        timestamp_ms: 1000,
      },
    ],
  };

  it('yields a native histogram as one Entry.Histogram (and the classic parts with always_scrape_classic_histograms)', () => {
    const body = encodeMetricFamilies([nh]);
    const p = new ProtobufParser(body, { nativeHistograms: true });
    const kinds: number[] = [];
    for (let e = p.next(); e !== Entry.EOF; e = p.next()) {
      kinds.push(e);
      if (e === Entry.Histogram) {
        expect(p.labels().toString()).toBe('nh_seconds{path="/"}');
        expect(p.timestamp()).toBe(1000);
        expect(p.histogram()).toEqual({
          h: {
            counterResetHint: 0,
            schema: 3,
            zeroThreshold: 2 ** -128,
            zeroCount: 1,
            count: 5,
            sum: 12,
            positiveSpans: [{ offset: -1, length: 2 }],
            negativeSpans: [],
            positiveBuckets: [2, 0],
            negativeBuckets: [],
          },
        });
      }
    }
    expect(kinds).toEqual([Entry.Help, Entry.Type, Entry.Histogram]);
    const both = new ProtobufParser(body, { nativeHistograms: true, alwaysScrapeClassicHistograms: true });
    const rows: string[] = [];
    for (let e = both.next(); e !== Entry.EOF; e = both.next())
      if (e === Entry.Histogram || e === Entry.Series) rows.push(`${e} ${both.labels().toString()}`);
    expect(rows).toEqual([
      `${Entry.Histogram} nh_seconds{path="/"}`,
      `${Entry.Series} nh_seconds_count{path="/"}`,
      `${Entry.Series} nh_seconds_sum{path="/"}`,
      `${Entry.Series} nh_seconds_bucket{le="1.0", path="/"}`,
      `${Entry.Series} nh_seconds_bucket{le="+Inf", path="/"}`,
    ]);
  });

  it('reads float and gauge native histograms', () => {
    const body = encodeMetricFamilies([
      {
        name: 'g',
        help: '',
        type: 'GAUGE_HISTOGRAM',
        metric: [
          {
            histogram: {
              sample_count_float: 2.5,
              sample_sum: 1,
              schema: 0,
              zero_threshold: 0.001,
              zero_count_float: 0.5,
              positive_span: [{ offset: 0, length: 1 }],
              positive_count: [2],
            },
          },
        ],
      },
    ]);
    const p = new ProtobufParser(body, { nativeHistograms: true });
    while (p.next() !== Entry.Histogram);
    expect(p.histogram().fh).toMatchObject({
      counterResetHint: 3,
      count: 2.5,
      zeroCount: 0.5,
      positiveBuckets: [2],
    });
  });
});
