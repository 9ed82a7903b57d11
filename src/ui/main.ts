// The UI's entry point: one page per path below the route prefix (/query, /targets).
import './style.css';
import { renderQueryPage } from './query.js';
import { renderTargetsPage } from './targets.js';

const page = window.location.pathname.replace(/\/+$/, '').split('/').pop() ?? '';
const root = document.getElementById('app')!;
for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a[data-page]')) {
  link.classList.toggle('active', link.dataset.page === page);
}
if (page === 'targets') {
  document.title = 'Targets - Promethium';
  renderTargetsPage(root);
} else {
  document.title = 'Query - Promethium';
  renderQueryPage(root);
}
