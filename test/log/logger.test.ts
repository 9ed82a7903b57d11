import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';

describe('logger', () => {
  it('writes logfmt with quoting where needed', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', format: 'logfmt', write: (l) => lines.push(l) });
    log
      .with({ component: 'web' })
      .info('Listening on', { address: '127.0.0.1:9090', err: new Error('a "b"') });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^time=\S+ level=INFO msg="Listening on" component=web address=127\.0\.0\.1:9090 err="a \\"b\\""$/,
    );
  });

  it('writes JSON and filters by level', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', format: 'json', write: (l) => lines.push(l) });
    log.info('hidden');
    log.debug('hidden');
    log.warn('shown', { n: 3 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'WARN', msg: 'shown', n: 3 });
  });
});
