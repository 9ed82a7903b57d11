// The hand-written remote write/read codec against protobufjs reading the same messages from their
// .proto definitions (prompb/types.proto, prompb/remote.proto and write/v2/types.proto of Prometheus).
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import {
  decodeChunkedReadResponse,
  decodeReadRequest,
  decodeReadResponse,
  decodeWriteV1,
  decodeWriteV2,
  encodeChunkedReadResponse,
  encodeReadRequest,
  encodeReadResponse,
  encodeWriteV1,
  encodeWriteV2,
} from '../../src/remote/messages.js';

const PROTO = `
syntax = "proto3";
package prometheus;
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
message Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
message BucketSpan { sint32 offset = 1; uint32 length = 2; }
message Histogram {
  oneof count { uint64 count_int = 1; double count_float = 2; }
  double sum = 3; sint32 schema = 4; double zero_threshold = 5;
  oneof zero_count { uint64 zero_count_int = 6; double zero_count_float = 7; }
  repeated BucketSpan negative_spans = 8; repeated sint64 negative_deltas = 9; repeated double negative_counts = 10;
  repeated BucketSpan positive_spans = 11; repeated sint64 positive_deltas = 12; repeated double positive_counts = 13;
  int32 reset_hint = 14; int64 timestamp = 15; repeated double custom_values = 16;
}
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
message MetricMetadata { int32 type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
message WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
message LabelMatcher { int32 type = 1; string name = 2; string value = 3; }
message Query { int64 start_timestamp_ms = 1; int64 end_timestamp_ms = 2; repeated LabelMatcher matchers = 3; }
message ReadRequest { repeated Query queries = 1; repeated int32 accepted_response_types = 2; }
message QueryResult { repeated TimeSeries timeseries = 1; }
message ReadResponse { repeated QueryResult results = 1; }
message Chunk { int64 min_time_ms = 1; int64 max_time_ms = 2; int32 type = 3; bytes data = 4; }
message ChunkedSeries { repeated Label labels = 1; repeated Chunk chunks = 2; }
message ChunkedReadResponse { repeated ChunkedSeries chunked_series = 1; int64 query_index = 2; }
message V2Sample { double value = 1; int64 timestamp = 2; int64 start_timestamp = 3; }
message V2Exemplar { repeated uint32 labels_refs = 1; double value = 2; int64 timestamp = 3; }
message V2Metadata { int32 type = 1; uint32 help_ref = 3; uint32 unit_ref = 4; }
message V2TimeSeries { repeated uint32 labels_refs = 1; repeated V2Sample samples = 2; repeated Histogram histograms = 3; repeated V2Exemplar exemplars = 4; V2Metadata metadata = 5; }
message V2Request { repeated string symbols = 4; repeated V2TimeSeries timeseries = 5; }
`;
const root = protobuf.parse(PROTO, { keepCase: true }).root;
const T = (name: string): protobuf.Type => root.lookupType(`prometheus.${name}`);
const num = (v: unknown): number => Number(v as number);

describe('remote write/read messages', () => {
  it('carries native histograms (integer and float, custom buckets) both ways, 1.0 and 2.0', () => {
    const msg = {
      timeseries: [
        {
          labels: [{ name: '__name__', value: 'h' }],
          histograms: [
            {
              count_int: 7,
              sum: 2.5,
              schema: -1,
              zero_threshold: 0.001,
              zero_count_int: 1,
              negative_spans: [{ offset: -2, length: 1 }],
              negative_deltas: [2],
              positive_spans: [
                { offset: 0, length: 2 },
                { offset: 3, length: 1 },
              ],
              positive_deltas: [1, 2, -2],
              reset_hint: 2,
              timestamp: 1_700_000_000_000,
            },
            {
              count_float: 3.5,
              sum: 1,
              schema: -53,
              zero_count_float: 0,
              positive_spans: [{ offset: 0, length: 2 }],
              positive_counts: [1.5, 2],
              custom_values: [0.5, 1],
              reset_hint: 3,
              timestamp: 1_700_000_015_000,
            },
          ],
        },
      ],
    };
    const ours = decodeWriteV1(T('WriteRequest').encode(T('WriteRequest').fromObject(msg)).finish());
    const want = [
      {
        t: 1_700_000_000_000,
        h: {
          counterResetHint: 2,
          schema: -1,
          zeroThreshold: 0.001,
          sum: 2.5,
          count: 7,
          zeroCount: 1,
          positiveSpans: [
            { offset: 0, length: 2 },
            { offset: 3, length: 1 },
          ],
          negativeSpans: [{ offset: -2, length: 1 }],
          positiveBuckets: [1, 2, -2],
          negativeBuckets: [2],
        },
      },
      {
        t: 1_700_000_015_000,
        fh: {
          counterResetHint: 3,
          schema: -53,
          zeroThreshold: 0,
          sum: 1,
          count: 3.5,
          zeroCount: 0,
          positiveSpans: [{ offset: 0, length: 2 }],
          negativeSpans: [],
          positiveBuckets: [1.5, 2],
          negativeBuckets: [],
          customValues: [0.5, 1],
        },
      },
    ];
    expect(ours.series[0].histograms).toEqual(want);
    // ours → protobufjs → ours, in both messages
    const v1 = T('WriteRequest').toObject(T('WriteRequest').decode(encodeWriteV1(ours)), {
      longs: Number,
      oneofs: true,
    });
    expect(v1.timeseries[0].histograms[0]).toMatchObject({
      count: 'count_int',
      count_int: 7,
      zero_count: 'zero_count_int',
    });
    expect(v1.timeseries[0].histograms[1]).toMatchObject({
      count: 'count_float',
      count_float: 3.5,
      custom_values: [0.5, 1],
    });
    expect(decodeWriteV1(encodeWriteV1(ours)).series[0].histograms).toEqual(want);
    const v2 = T('V2Request').toObject(T('V2Request').decode(encodeWriteV2(ours)), { longs: Number });
    expect(v2.timeseries[0].histograms).toHaveLength(2);
    expect(decodeWriteV2(encodeWriteV2(ours)).series[0].histograms).toEqual(want);
  });

  it('decodes a 1.0 WriteRequest protobufjs wrote, and writes one it reads back', () => {
    const msg = {
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'up' },
            { name: 'job', value: 'ünï' },
          ],
          samples: [
            { value: 1, timestamp: 1_700_000_000_123 },
            { value: -0.5, timestamp: -5 },
            { value: Infinity, timestamp: 1 },
          ],
          exemplars: [{ labels: [{ name: 'trace_id', value: 'abc' }], value: 2, timestamp: 7 }],
        },
      ],
      metadata: [{ type: 1, metric_family_name: 'up', help: 'Up.', unit: 's' }],
    };
    const buf = T('WriteRequest').encode(T('WriteRequest').fromObject(msg)).finish();
    const ours = decodeWriteV1(buf);
    expect(ours.series[0].labels).toEqual(['__name__', 'up', 'job', 'ünï']);
    expect(ours.series[0].samples).toEqual([
      { t: 1_700_000_000_123, v: 1 },
      { t: -5, v: -0.5 },
      { t: 1, v: Infinity },
    ]);
    expect(ours.series[0].exemplars).toEqual([{ labels: ['trace_id', 'abc'], t: 7, v: 2 }]);
    expect(ours.metadata).toEqual([{ type: 'counter', family: 'up', help: 'Up.', unit: 's' }]);
    const back = T('WriteRequest').toObject(T('WriteRequest').decode(encodeWriteV1(ours)), { longs: Number });
    expect(back.timeseries[0].samples.map((s: { timestamp: unknown }) => num(s.timestamp))).toEqual([
      1_700_000_000_123, -5, 1,
    ]);
    expect(back.metadata[0]).toMatchObject({ type: 1, metric_family_name: 'up', help: 'Up.', unit: 's' });
  });

  it('decodes a 2.0 Request with its symbol table, start timestamp and metadata', () => {
    const msg = {
      symbols: ['', '__name__', 'http_requests_total', 'code', '200', 'Requests.', 'trace', 't1'],
      timeseries: [
        {
          labels_refs: [1, 2, 3, 4],
          samples: [
            { value: 5, timestamp: 2000, start_timestamp: 1000 },
            { value: 6, timestamp: 3000 },
          ],
          exemplars: [{ labels_refs: [6, 7], value: 1, timestamp: 2000 }],
          metadata: { type: 1, help_ref: 5 },
        },
      ],
    };
    const buf = T('V2Request').encode(T('V2Request').fromObject(msg)).finish();
    const ours = decodeWriteV2(buf);
    expect(ours.series[0]).toMatchObject({
      labels: ['__name__', 'http_requests_total', 'code', '200'],
      samples: [
        { t: 2000, v: 5 },
        { t: 3000, v: 6 },
      ],
      startTimestamp: 1000,
      exemplars: [{ labels: ['trace', 't1'], t: 2000, v: 1 }],
      metadata: { type: 'counter', help: 'Requests.', unit: '' },
    });
    const back = T('V2Request').toObject(T('V2Request').decode(encodeWriteV2(ours)), { longs: Number });
    expect(back.symbols[0]).toBe('');
    const refs = back.timeseries[0].labels_refs as number[];
    expect(refs.map((r) => back.symbols[r])).toEqual(['__name__', 'http_requests_total', 'code', '200']);
    expect(() =>
      decodeWriteV2(
        T('V2Request')
          .encode(T('V2Request').fromObject({ symbols: [''], timeseries: [{ labels_refs: [3, 4] }] }))
          .finish(),
      ),
    ).toThrow(/out of range/);
  });

  it('reads ReadRequests and writes ReadResponse and ChunkedReadResponse as protobufjs reads them', () => {
    const req = T('ReadRequest')
      .encode(
        T('ReadRequest').fromObject({
          queries: [
            {
              start_timestamp_ms: 1000,
              end_timestamp_ms: 2000,
              matchers: [{ type: 2, name: 'job', value: 'a.*' }],
            },
          ],
          accepted_response_types: [1, 0],
        }),
      )
      .finish();
    expect(decodeReadRequest(req)).toEqual({
      queries: [{ startMs: 1000, endMs: 2000, matchers: [{ type: '=~', name: 'job', value: 'a.*' }] }],
      acceptedResponseTypes: [1, 0],
    });
    expect(decodeReadRequest(encodeReadRequest(decodeReadRequest(req)))).toEqual(decodeReadRequest(req));
    const resp = encodeReadResponse([[{ labels: ['__name__', 'x'], samples: [{ t: 5, v: 1.5 }] }], []]);
    const obj = T('ReadResponse').toObject(T('ReadResponse').decode(resp), { longs: Number });
    expect(obj.results[0].timeseries[0].samples[0]).toEqual({ value: 1.5, timestamp: 5 });
    expect(decodeReadResponse(resp)).toEqual([
      [{ labels: ['__name__', 'x'], samples: [{ t: 5, v: 1.5 }] }],
      [],
    ]);
    const chunked = encodeChunkedReadResponse(
      [
        {
          labels: ['__name__', 'x'],
          chunks: [{ minTimeMs: 1, maxTimeMs: 9, type: 1, data: new Uint8Array([0, 1, 2]) }],
        },
      ],
      3,
    );
    const c = T('ChunkedReadResponse').toObject(T('ChunkedReadResponse').decode(chunked), { longs: Number });
    expect(c.query_index).toBe(3);
    expect(c.chunked_series[0].chunks[0]).toMatchObject({ min_time_ms: 1, max_time_ms: 9, type: 1 });
    expect(decodeChunkedReadResponse(chunked).series[0].chunks[0].data).toEqual(new Uint8Array([0, 1, 2]));
  });
});
