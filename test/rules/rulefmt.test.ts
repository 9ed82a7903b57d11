// Rule files as Prometheus's rulefmt reads them: every good fixture of prometheus/prometheus
// model/rulefmt/testdata loads, every bad one fails with the message rulefmt_test.go expects first.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRuleFile, parseRules } from '../../src/rules/rulefmt.js';
import { conformanceFixtures } from '../support/conformance.js';

const fixtures = conformanceFixtures('rulefmt', 'rule file fixtures (rulefmt)');

const EXPECTED_FIRST_ERROR: Record<string, string> = {
  'duplicate_grp.bad.yaml': 'groupname: "yolo" is repeated in the same file',
  'bad_expr.bad.yaml': 'parse error',
  'record_and_alert.bad.yaml': "only one of 'record' and 'alert' must be set",
  'no_rec_alert.bad.yaml': "one of 'record' or 'alert' must be set",
  'noexpr.bad.yaml': "field 'expr' must be set in rule",
  'invalid_record_name.bad.yaml':
    'braces present in the recording rule name; should it be in expr?: strawberry{flavor="sweet"}',
  'bad_field.bad.yaml': 'field annotation not found',
  'invalid_label_name.bad.yaml': 'invalid label name',
  'record_and_for.bad.yaml': "invalid field 'for' in recording rule",
  'record_and_keep_firing_for.bad.yaml': "invalid field 'keep_firing_for' in recording rule",
  'legacy_validation_annotation.bad.yaml': 'invalid annotation name: ins-tance',
};

describe.skipIf(!fixtures.present)('rule files (rulefmt fixtures)', () => {
  const files = fixtures.present ? fs.readdirSync(fixtures.dir).sort() : [];
  const scheme = (f: string): 'legacy' | 'utf8' => (f.startsWith('legacy') ? 'legacy' : 'utf8');

  it('has every bad fixture named in the table', () => {
    expect(files.filter((f) => f.endsWith('.bad.yaml')).sort()).toEqual(
      Object.keys(EXPECTED_FIRST_ERROR).sort(),
    );
  });

  for (const f of files.filter((f) => !f.endsWith('.bad.yaml'))) {
    it(`loads ${f}`, () => {
      const r = parseRuleFile(path.join(fixtures.dir, f), { scheme: scheme(f) });
      expect(r.errors).toEqual([]);
      expect(r.groups.length).toBeGreaterThan(0);
    });
  }
  for (const [f, msg] of Object.entries(EXPECTED_FIRST_ERROR)) {
    it(`rejects ${f}`, () => {
      const r = parseRuleFile(path.join(fixtures.dir, f), { scheme: scheme(f) });
      expect(r.errors.length).toBeGreaterThan(0);
      expect(r.errors[0]).toContain(msg);
      expect(r.errors[0].startsWith(path.join(fixtures.dir, f) + ': ')).toBe(true);
    });
  }

  it('reads aliases and multi-line expressions (test_aliases.yaml)', () => {
    const r = parseRuleFile(path.join(fixtures.dir, 'test_aliases.yaml'));
    const rules = r.groups[0].rules;
    expect(rules[0].alert).toBe('HighAlert');
    expect(rules[0].labels.severity).toBe('critical');
    expect(rules[0].annotations.description).toBe("stuff's happening with {{ $.labels.service }}");
    expect(rules[1].record).toBe('new_metric');
    expect(rules[3].alert).toBe('HighAlert2');
    for (const rule of rules)
      expect(rule.expr).toBe(
        'sum without(instance) (rate(errors_total[5m]))\n/\nsum without(instance) (rate(requests_total[5m]))\n',
      );
  });
});

describe('rule files', () => {
  it('names the position, group, rule and reason', () => {
    const r = parseRules(
      'groups:\n- name: example\n  rules:\n  - alert: InstanceDown\n    expr: up ===== 0\n',
    );
    expect(r.errors).toEqual([
      '5:11: group "example", rule 1, "InstanceDown": could not parse expression: 1:6: parse error: unexpected <op:==>',
    ]);
  });

  it('checks alert templates when loading (TestTemplateParsing)', () => {
    const rule = (annotation: string): string =>
      `groups:\n- name: example\n  rules:\n  - alert: InstanceDown\n    expr: up == 0\n    for: 5m\n    annotations:\n      summary: "${annotation}"\n`;
    expect(parseRules(rule('Instance {{ $labels.instance }} down')).errors).toEqual([]);
    expect(parseRules(rule('Instance {{ $label.instance }} down')).errors[0]).toContain(
      'annotation "summary": template: __alert_InstanceDown:1: undefined variable "$label"',
    );
    expect(parseRules(rule('{{$labels.quantile * 100}}')).errors).toHaveLength(1);
  });

  it('reads interval, query_offset, limit and group labels; warns about a second document', () => {
    const r = parseRules(
      'groups:\n- name: g\n  interval: 30s\n  query_offset: 1m\n  limit: 10\n  labels:\n    team: a\n  rules:\n  - record: x:y\n    expr: vector(1)\n---\ngroups: []\n',
    );
    expect(r.errors).toEqual([]);
    expect(r.groups[0]).toMatchObject({
      name: 'g',
      interval: 30_000,
      queryOffset: 60_000,
      limit: 10,
      labels: { team: 'a' },
    });
    expect(r.warnings).toEqual([
      'Multiple document yaml rules files are not supported, only the first document is processed',
    ]);
  });

  it('rejects unknown fields as yaml.v3 does', () => {
    const r = parseRules('groups:\n- name: g\n  rulez: []\n');
    expect(r.errors).toEqual([
      'yaml: unmarshal errors:\n  line 3: field rulez not found in type rulefmt.RuleGroup',
    ]);
  });
});

const ruleFixtures = conformanceFixtures('rules', 'rule manager fixtures (rules/fixtures)');

describe.skipIf(!ruleFixtures.present)('rule manager fixtures (TestParseFiles)', () => {
  const files = ruleFixtures.present ? fs.readdirSync(ruleFixtures.dir).sort() : [];
  for (const f of files.filter((f) => f !== 'invalid_rules.yaml')) {
    it(`loads ${f}`, () => {
      expect(parseRuleFile(path.join(ruleFixtures.dir, f)).errors).toEqual([]);
    });
  }
  it('rejects invalid_rules.yaml for its unknown field', () => {
    expect(parseRuleFile(path.join(ruleFixtures.dir, 'invalid_rules.yaml')).errors[0]).toContain(
      'field unexpected_field not found in type rulefmt.Rule',
    );
  });
});
