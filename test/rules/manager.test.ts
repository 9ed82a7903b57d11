// The rule manager on a real clock (short intervals): groups run on their own, a reload keeps unchanged
// groups running as they are and carries the state of changed ones over, a bad file changes nothing,
// and a removed group's series get stale markers two intervals later.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localRuleQuery } from '../../src/cli/rules-wiring.js';
import { createLogger } from '../../src/log/logger.js';
import { Matcher } from '../../src/model/matcher.js';
import { isStaleNaN } from '../../src/model/value.js';
import { RuleLoadError, RuleManager, type RulesConfig } from '../../src/rules/manager.js';
import { AlertingRule } from '../../src/rules/rule.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { waitFor } from '../support/server-process.js';

const managers: RuleManager[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const m of managers.splice(0)) await m.stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promethium-rules-'));
  dirs.push(dir);
  const storage = new MemoryStorage();
  const m = new RuleManager({
    appendable: storage,
    query: localRuleQuery(storage, { lookbackDeltaMs: 300_000 }),
    logger: createLogger({ level: 'error', format: 'logfmt', write: () => undefined }),
    notify: () => undefined,
    resendDelayMs: 60_000,
    outageToleranceMs: 3_600_000,
    forGracePeriodMs: 600_000,
  });
  managers.push(m);
  const file = path.join(dir, 'rules.yml');
  const cfg = (): RulesConfig => ({
    files: [file],
    evaluationIntervalMs: 200,
    queryOffsetMs: 0,
    externalLabels: {},
    externalURL: '',
  });
  /** The newest sample of the series named `name`. */
  const last = (name: string): number | undefined => {
    for (const s of storage.querier(0, Date.now() + 60_000).select([new Matcher('=', '__name__', name)])) {
      const b = s.samples();
      return b.v[b.length - 1];
    }
    return undefined;
  };
  return { m, file, cfg, last };
}

const RULES = `groups:
- name: g
  rules:
  - record: r:one
    expr: vector(1)
  - alert: Always
    expr: vector(1)
    for: 1h
`;

describe('rule manager', () => {
  it('keeps unchanged groups, carries state over to changed ones, refuses a bad file', async () => {
    const { m, file, cfg, last } = setup();
    fs.writeFileSync(file, RULES);
    await m.update(cfg());
    await waitFor(() => last('r:one') === 1);
    const first = m.list()[0];
    const alert = (): AlertingRule => m.list()[0].rules[1] as AlertingRule;
    await waitFor(() => alert().state() === 'pending');
    const activeAt = [...alert().active.values()][0].activeAt;

    // the same definition: the same running group
    await m.update(cfg());
    expect(m.list()[0]).toBe(first);

    // changed: a new group, the alert's state carried over (CopyState)
    fs.writeFileSync(file, RULES.replace('for: 1h', 'for: 2h'));
    await m.update(cfg());
    expect(m.list()[0]).not.toBe(first);
    expect([...alert().active.values()][0].activeAt).toBe(activeAt);

    // a bad file: an error naming it, the running groups untouched
    const running = m.list()[0];
    fs.writeFileSync(file, 'groups:\n- name: g\n  rules:\n  - alert: x\n');
    await expect(m.update(cfg())).rejects.toThrow(RuleLoadError);
    await expect(m.update(cfg())).rejects.toThrow(
      `${file}: 0:0: group "g", rule 1, "x": field 'expr' must be set in rule`,
    );
    expect(m.list()[0]).toBe(running);
  });

  it("marks a removed group's series stale two intervals later", async () => {
    const { m, file, cfg, last } = setup();
    fs.writeFileSync(file, RULES);
    await m.update(cfg());
    await waitFor(() => last('r:one') === 1);
    fs.writeFileSync(file, 'groups: []\n');
    await m.update(cfg());
    expect(m.list()).toEqual([]);
    await waitFor(() => isStaleNaN(last('r:one') ?? 0), 5_000);
  });
});
