// The Prometheus protobuf exposition format written by protobufjs from the io.prometheus.client
// schema (prompb/io/prometheus/client/metrics.proto): what client_golang serves when asked for
// PrometheusProto. Tests use it as the reference encoder for protobuf targets.
import protobuf from 'protobufjs';

const PROTO = `
syntax = "proto3";
package io.prometheus.client;
message LabelPair { string name = 1; string value = 2; }
enum MetricType { COUNTER = 0; GAUGE = 1; SUMMARY = 2; UNTYPED = 3; HISTOGRAM = 4; GAUGE_HISTOGRAM = 5; }
message Gauge { double value = 1; }
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
message Exemplar { repeated LabelPair label = 1; double value = 2; Timestamp timestamp = 3; }
message Counter { double value = 1; Exemplar exemplar = 2; Timestamp start_timestamp = 3; }
message Quantile { double quantile = 1; double value = 2; }
message Summary { uint64 sample_count = 1; double sample_sum = 2; repeated Quantile quantile = 3; Timestamp start_timestamp = 4; }
message Untyped { double value = 1; }
message BucketSpan { sint32 offset = 1; uint32 length = 2; }
message Bucket { uint64 cumulative_count = 1; double cumulative_count_float = 4; double upper_bound = 2; Exemplar exemplar = 3; }
message Histogram {
  uint64 sample_count = 1; double sample_count_float = 4; double sample_sum = 2; repeated Bucket bucket = 3;
  Timestamp start_timestamp = 15; sint32 schema = 5; double zero_threshold = 6; uint64 zero_count = 7;
  double zero_count_float = 8; repeated BucketSpan negative_span = 9; repeated sint64 negative_delta = 10;
  repeated double negative_count = 11; repeated BucketSpan positive_span = 12; repeated sint64 positive_delta = 13;
  repeated double positive_count = 14; repeated Exemplar exemplars = 16;
}
message Metric {
  repeated LabelPair label = 1; Gauge gauge = 2; Counter counter = 3; Summary summary = 4; Untyped untyped = 5;
  Histogram histogram = 7; int64 timestamp_ms = 6;
}
message MetricFamily { string name = 1; string help = 2; MetricType type = 3; repeated Metric metric = 4; string unit = 5; }
`;

const root = protobuf.parse(PROTO, { keepCase: true }).root;
export const MetricFamilyType = root.lookupType('io.prometheus.client.MetricFamily');

/** The content type client_golang answers with for PrometheusProto. */
export const PROTO_CONTENT_TYPE =
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

/** Varint-length-delimited MetricFamily messages, as the exposition body carries them. */
export function encodeMetricFamilies(families: ReadonlyArray<Record<string, unknown>>): Uint8Array {
  const w = protobuf.Writer.create();
  for (const f of families) {
    const msg = MetricFamilyType.fromObject(f);
    const err = MetricFamilyType.verify(msg);
    if (err !== null) throw new Error(`bad MetricFamily: ${err}`);
    MetricFamilyType.encodeDelimited(msg, w);
  }
  return w.finish();
}
