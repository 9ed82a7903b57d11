// The configuration Promethium runs with when no --config.file exists, like Prometheus's
// documentation example: scrape itself every 15s.

export function defaultConfigYaml(selfTarget: string): string {
  return [
    'global:',
    '  scrape_interval: 15s',
    '  evaluation_interval: 15s',
    '',
    'scrape_configs:',
    '  - job_name: prometheus',
    '    static_configs:',
    `      - targets: [${JSON.stringify(selfTarget)}]`,
    '',
  ].join('\n');
}
