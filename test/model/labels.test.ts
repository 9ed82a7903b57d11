import { describe, expect, it } from 'vitest';
import { hashStrings, intern, Labels } from '../../src/model/labels.js';

describe('Labels', () => {
  it('sorts by name, keeps the last duplicate and drops empty values', () => {
    const l = Labels.fromPairs(['job', 'api', '__name__', 'up', 'instance', 'a:1', 'job', 'web', 'zone', '']);
    expect(l.pairs).toEqual(['__name__', 'up', 'instance', 'a:1', 'job', 'web']);
    expect(l.size).toBe(3);
    expect(l.get('job')).toBe('web');
    expect(l.get('zone')).toBeUndefined();
    expect(l.metricName()).toBe('up');
  });

  it('compares and hashes by content, stably', () => {
    const a = Labels.fromRecord({ b: '2', a: '1' });
    const b = Labels.fromPairs(['a', '1', 'b', '2']);
    expect(a.equals(b)).toBe(true);
    expect(a.hash()).toBe(b.hash());
    expect(a.hash()).not.toBe(Labels.fromRecord({ a: '1', b: '3' }).hash());
    // name/value boundaries matter: {ab="c"} is not {a="bc"}
    expect(Labels.fromRecord({ ab: 'c' }).hash()).not.toBe(Labels.fromRecord({ a: 'bc' }).hash());
    // fixed value: the hash must not change between releases (hashmod, sharding, on-disk refs)
    expect(hashStrings(['__name__', 'up'])).toBe(2602918468699796);
    expect(Number.isSafeInteger(a.hash())).toBe(true);
  });

  it('prints the Prometheus way, quoting UTF-8 names', () => {
    expect(Labels.fromRecord({ __name__: 'up', job: 'a"b', x: 'line\nbreak\\' }).toString()).toBe(
      'up{job="a\\"b", x="line\\nbreak\\\\"}',
    );
    expect(Labels.fromRecord({ __name__: 'up' }).toString()).toBe('up');
    expect(Labels.fromRecord({ __name__: 'my.metric', 'label.name': 'v' }).toString()).toBe(
      '{"my.metric", "label.name"="v"}',
    );
    expect(Labels.EMPTY.toString()).toBe('{}');
  });

  it('interns strings to one flat copy', () => {
    const body = 'xxxxhello_worldxxxx';
    const a = intern(body.slice(4, 15));
    const b = intern('hello_' + 'world');
    expect(a).toBe('hello_world');
    expect(a).toBe(b);
  });
});
