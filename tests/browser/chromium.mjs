// Debian's chromium, headless, started as this machine allows: no sandbox when root, and none of
// chromium's own traffic (background networking, component updates, sync), so that every request a
// page makes is the page's.
import { chromium } from 'playwright-core';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

// Collects what must not happen on a page: console errors, uncaught exceptions, failed requests.
export function watch(page) {
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  return problems;
}

export function fail(messages) {
  for (const m of messages) console.error(`FAIL: ${m}`);
  process.exit(1);
}
