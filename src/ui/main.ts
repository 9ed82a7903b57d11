// The UI's entry point: one page per path below the route prefix (/query, /targets, the status pages).
import './style.css';
import { renderQueryPage } from './query.js';
import { renderAlertsPage, renderRulesPage } from './rules.js';
import { renderServiceDiscoveryPage } from './service-discovery.js';
import {
  renderConfigPage,
  renderFlagsPage,
  renderRemoteWritePage,
  renderStatusPage,
  renderTsdbStatusPage,
} from './status.js';
import { renderTargetsPage } from './targets.js';

const PAGES: Record<string, [string, (root: HTMLElement) => void]> = {
  targets: ['Targets', renderTargetsPage],
  'service-discovery': ['Service discovery', renderServiceDiscoveryPage],
  config: ['Configuration', renderConfigPage],
  flags: ['Command-line flags', renderFlagsPage],
  status: ['Runtime & build information', renderStatusPage],
  'tsdb-status': ['TSDB status', renderTsdbStatusPage],
  'remote-write': ['Remote write', renderRemoteWritePage],
  rules: ['Rules', renderRulesPage],
  alerts: ['Alerts', renderAlertsPage],
};

const page = window.location.pathname.replace(/\/+$/, '').split('/').pop() ?? '';
const root = document.getElementById('app')!;
for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a[data-page]')) {
  link.classList.toggle('active', link.dataset.page === page);
}
const known = Object.prototype.hasOwnProperty.call(PAGES, page) ? PAGES[page] : undefined;
if (known !== undefined) {
  document.title = `${known[0]} - Promethium`;
  known[1](root);
} else {
  document.title = 'Query - Promethium';
  renderQueryPage(root);
}
