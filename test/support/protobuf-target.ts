// A scrape target serving the protobuf exposition format (written by protobufjs): counters, a gauge,
// a summary, a classic histogram and a native histogram whose counts grow with every scrape.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeMetricFamilies, PROTO_CONTENT_TYPE } from './metrics-proto.js';

/** A target whose counters and native histogram grow with every scrape. */
export async function startProtobufTarget(): Promise<{ host: string; close(): Promise<void> }> {
  let n = 0;
  const server = http.createServer((_req, res) => {
    n++;
    // the counts add up: positive buckets n, n + n%2, n + n%2 + (n%3==0), negative n%4, zero 1
    const pos = [n, n + (n % 2), n + (n % 2) + (n % 3 === 0 ? 1 : 0)];
    const native = {
      sample_count: pos.reduce((a, b) => a + b, 0) + (n % 4) + 1,
      sample_sum: 1.5 * n,
      schema: 2,
      zero_threshold: 2 ** -128,
      zero_count: 1,
      positive_span: [
        { offset: -1, length: 2 },
        { offset: 3, length: 1 },
      ],
      positive_delta: [n, n % 2, n % 3 === 0 ? 1 : 0],
      negative_span: [{ offset: 0, length: 1 }],
      negative_delta: [n % 4],
    };
    const families = [
      {
        name: 'pb_requests_total',
        help: 'Requests.',
        type: 'COUNTER',
        metric: [
          { label: [{ name: 'code', value: '200' }], counter: { value: 1000 } },
          { label: [{ name: 'code', value: '500' }], counter: { value: 7 } },
        ],
      },
      { name: 'pb_temperature', help: 'A gauge.', type: 'GAUGE', metric: [{ gauge: { value: -1.25 } }] },
      {
        name: 'pb_rpc_seconds',
        help: 'A summary.',
        type: 'SUMMARY',
        metric: [
          {
            summary: {
              sample_count: 10,
              sample_sum: 2.5,
              quantile: [
                { quantile: 0.5, value: 0.2 },
                { quantile: 0.99, value: 0.9 },
              ],
            },
          },
        ],
      },
      {
        name: 'pb_classic_seconds',
        help: 'A classic histogram.',
        type: 'HISTOGRAM',
        metric: [
          {
            histogram: {
              sample_count: 9,
              sample_sum: 4,
              bucket: [
                { upper_bound: 0.1, cumulative_count: 1 },
                { upper_bound: 1, cumulative_count: 6 },
              ],
            },
          },
        ],
      },
      {
        name: 'pb_native_seconds',
        help: 'A native histogram.',
        type: 'HISTOGRAM',
        metric: [
          {
            histogram: native,
          },
        ],
      },
    ];
    res.writeHead(200, { 'Content-Type': PROTO_CONTENT_TYPE });
    res.end(encodeMetricFamilies(families));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
