// The scrape manager's targets as the API shows them (/api/v1/targets, targets/metadata).
import { formatDuration } from '../model/duration.js';
import type { ScrapeManager } from '../scrape/manager.js';
import type { ActiveTargetInfo } from '../scrape/pool.js';
import { publicLabels } from '../scrape/target.js';
import type { ActiveTarget, DroppedTarget, TargetsSource } from '../web/api/v1/targets.js';

const LOCALHOST = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function scrapeTargetsSource(
  manager: () => ScrapeManager | undefined,
  listenPort: () => number,
  externalUrl: () => URL,
): TargetsSource {
  return {
    activeTargets: () => {
      const m = manager();
      if (m === undefined) return new Map();
      return new Map(
        [...m.activeTargets()].map(([job, ts]) => [
          job,
          ts.map((t) => activeTarget(t, listenPort(), externalUrl())),
        ]),
      );
    },
    droppedTargets: () => {
      const m = manager();
      if (m === undefined) return new Map();
      return new Map(
        [...m.droppedTargets()].map(([job, ls]) => [
          job,
          ls.map((l): DroppedTarget => ({ discoveredLabels: l.toRecord() })),
        ]),
      );
    },
    droppedTargetCounts: () => manager()?.droppedTargetCounts() ?? {},
    scrapePools: () => manager()?.scrapePools() ?? [],
  };
}

function activeTarget(t: ActiveTargetInfo, port: number, externalUrl: URL): ActiveTarget {
  const s = t.state;
  return {
    discoveredLabels: t.discoveredLabels.toRecord(),
    labels: publicLabels(t.labels).toRecord(),
    scrapeUrl: t.url,
    globalUrl: globalUrl(t.url, port, externalUrl),
    lastError: s.lastError,
    lastScrape: s.lastScrape === 0 ? undefined : new Date(s.lastScrape),
    lastScrapeDuration: s.lastScrapeDurationMs / 1000,
    health: s.health,
    scrapeInterval: formatDuration(t.intervalMs),
    scrapeTimeout: formatDuration(t.timeoutMs),
    metadata: () =>
      [...s.metadata].map(([metric, md]) => ({ metric, type: md.type, help: md.help, unit: md.unit })),
  };
}

/**
 * Prometheus's getGlobalURL: a loopback target is not reachable from elsewhere, so its host becomes the
 * external URL's host name; on this server's own port, scheme and host:port become the external URL's.
 */
function globalUrl(url: string, port: number, externalUrl: URL): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url; // not a URL we can parse: shown as it is
  }
  if (!LOCALHOST.has(u.hostname)) return url;
  const targetPort = u.port !== '' ? u.port : u.protocol === 'https:' ? '443' : '80';
  if (targetPort === String(port)) {
    u.protocol = externalUrl.protocol;
    u.host = externalUrl.host;
  } else {
    u.hostname = externalUrl.hostname;
  }
  return u.toString();
}
