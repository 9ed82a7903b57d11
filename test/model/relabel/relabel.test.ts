import { describe, expect, it } from 'vitest';
import type { RelabelConfig } from '../../../src/config/types.js';
import { Labels } from '../../../src/model/labels.js';
import { compileRelabels, expand, relabel } from '../../../src/model/relabel/relabel.js';

function rule(r: Partial<RelabelConfig>): RelabelConfig {
  return {
    source_labels: [],
    separator: ';',
    regex: '(.*)',
    modulus: 0,
    target_label: '',
    replacement: '$1',
    action: 'replace',
    ...r,
  };
}

function run(
  input: Record<string, string>,
  rules: Partial<RelabelConfig>[],
): Record<string, string> | undefined {
  return relabel(Labels.fromRecord(input), compileRelabels(rules.map(rule)))?.toRecord();
}

describe('relabel', () => {
  it('replaces with capture groups from joined source labels', () => {
    expect(
      run({ a: 'foo', b: 'bar', c: 'baz' }, [
        { source_labels: ['a'], regex: 'f(.*)', target_label: 'd', replacement: 'ch${1}-ch${1}' },
      ]),
    ).toEqual({ a: 'foo', b: 'bar', c: 'baz', d: 'choo-choo' });
    expect(
      run({ a: 'foo', b: 'bar' }, [
        { source_labels: ['a', 'b'], regex: 'f(.*);(.*)r', target_label: 'a', replacement: 'b${1}${2}m' },
      ]),
    ).toEqual({ a: 'boobam', b: 'bar' });
  });

  it('anchors the regex at both ends and leaves the set alone without a match', () => {
    expect(
      run({ a: 'foo' }, [{ source_labels: ['a'], regex: 'o', target_label: 'x', replacement: 'y' }]),
    ).toEqual({ a: 'foo' });
    expect(
      run({ a: 'foo' }, [{ source_labels: ['a'], regex: 'f|fo+', target_label: 'x', replacement: 'y' }]),
    ).toEqual({ a: 'foo', x: 'y' });
  });

  it('deletes the target when the replacement is empty, and joins missing labels as empty', () => {
    expect(run({ a: 'foo', b: 'x' }, [{ source_labels: ['c'], target_label: 'b' }])).toEqual({ a: 'foo' });
    expect(
      run({ a: 'foo' }, [{ source_labels: ['a', 'missing'], target_label: 'j', replacement: '$1' }]),
    ).toEqual({ a: 'foo', j: 'foo;' });
  });

  it('expands the target label name and skips invalid names', () => {
    expect(
      run({ a: 'some-name-value' }, [
        { source_labels: ['a'], regex: 'some-([^-]+)-(.+)', target_label: '${1}', replacement: '${2}' },
      ]),
    ).toEqual({ a: 'some-name-value', name: 'value' });
    expect(
      run({ a: 'some-name-value' }, [
        { source_labels: ['a'], regex: 'some-([^-]+)-(.+)', target_label: '${3}', replacement: '${2}' },
      ]),
    ).toEqual({ a: 'some-name-value' });
  });

  it('keeps and drops on the joined value', () => {
    expect(run({ a: 'foo' }, [{ source_labels: ['a'], regex: '.*o.*', action: 'drop' }])).toBeUndefined();
    expect(run({ a: 'foo' }, [{ source_labels: ['a'], regex: 'f.*', action: 'keep' }])).toEqual({ a: 'foo' });
    expect(run({ a: 'foo' }, [{ source_labels: ['a'], regex: 'o', action: 'keep' }])).toBeUndefined();
    // no source labels: the value is "" and must match
    expect(run({ a: 'foo' }, [{ regex: '', action: 'keep' }])).toEqual({ a: 'foo' });
  });

  it('keepequal and dropequal compare with the target label', () => {
    const eq = { a: 'x', b: 'x' };
    expect(run(eq, [{ source_labels: ['a'], target_label: 'b', action: 'keepequal' }])).toEqual(eq);
    expect(run(eq, [{ source_labels: ['a'], target_label: 'b', action: 'dropequal' }])).toBeUndefined();
    expect(
      run({ a: 'x', b: 'y' }, [{ source_labels: ['a'], target_label: 'b', action: 'keepequal' }]),
    ).toBeUndefined();
  });

  it('hashmod takes the low 8 bytes of the MD5 sum as Prometheus does', () => {
    expect(
      run({ a: 'foo', b: 'bar', c: 'baz' }, [
        { source_labels: ['c'], target_label: 'd', action: 'hashmod', modulus: 1000 },
      ]),
    ).toEqual({ a: 'foo', b: 'bar', c: 'baz', d: '976' });
    expect(
      run({ a: 'foo', b: 'bar', c: 'baz' }, [
        { source_labels: ['c'], target_label: 'd', action: 'hashmod', modulus: 0xffffffffffff },
      ]),
    ).toEqual({ a: 'foo', b: 'bar', c: 'baz', d: '274348692755156' });
  });

  it('labelmap copies matching names under the expanded replacement', () => {
    expect(
      run({ a: 'foo', b: 'bar', c: 'baz' }, [
        { regex: '(b.*)', replacement: 'bar_${1}', action: 'labelmap' },
      ]),
    ).toEqual({ a: 'foo', b: 'bar', c: 'baz', bar_b: 'bar' });
    expect(
      run({ __meta_kubernetes_node_label_zone: 'z1', __meta_other: 'o' }, [
        { regex: '__meta_kubernetes_node_label_(.+)', action: 'labelmap' },
      ]),
    ).toEqual({ __meta_kubernetes_node_label_zone: 'z1', __meta_other: 'o', zone: 'z1' });
  });

  it('labeldrop and labelkeep filter names by the anchored regex', () => {
    expect(run({ a: '1', ab: '2', b: '3' }, [{ regex: 'a.*', action: 'labeldrop' }])).toEqual({ b: '3' });
    expect(run({ a: '1', ab: '2', b: '3' }, [{ regex: 'a', action: 'labelkeep' }])).toEqual({ a: '1' });
  });

  it('lowercase and uppercase write the joined value', () => {
    expect(
      run({ a: 'AbC', b: 'dEf' }, [
        { source_labels: ['a', 'b'], target_label: 'lo', action: 'lowercase' },
        { source_labels: ['a'], target_label: 'up', action: 'uppercase' },
      ]),
    ).toEqual({ a: 'AbC', b: 'dEf', lo: 'abc;def', up: 'ABC' });
  });

  it('runs rules in order and stops at a drop', () => {
    expect(
      run({ a: 'foo' }, [
        { source_labels: ['a'], target_label: 'b', replacement: 'bar' },
        { source_labels: ['b'], regex: 'bar', action: 'drop' },
        { source_labels: ['a'], target_label: 'c', replacement: 'never' },
      ]),
    ).toBeUndefined();
  });
});

describe('expand (Go template semantics)', () => {
  const groups = ['whole', 'one', undefined];
  const names = new Map([['n', 1]]);
  it.each([
    ['$1', 'one'],
    ['${1}x', 'onex'],
    ['$1x', ''], // the name is "1x", not a group
    ['$$1', '$1'],
    ['$2', ''],
    ['${n}-$n', 'one-one'],
    ['$', '$'],
    ['${1', '${1'],
    ['a$-b', 'a$-b'],
    ['$01', ''],
    ['$0', 'whole'],
  ])('%s → %s', (tpl, want) => {
    expect(expand(tpl, groups, names)).toBe(want);
  });
});
