// `BASE=http://127.0.0.1:PORT/ TOKEN=... USER=... PASSWORD=... node live.mjs`: opens serve's live
// page in headless chromium with the read token, posts callbacks to the server, and checks that the
// page shows them without a reload: the change list, the counts by state, the charts, and a call's
// timeline on click. Also that the page is refused without the token, and reaches nothing but the
// server. Exits 1 with what failed.
import { launch, watch, fail } from './chromium.mjs';

const { BASE, TOKEN, USER, PASSWORD } = process.env;
const origin = new URL(BASE).origin;
const browser = await launch();
const problems = [];
const step = async (what, promise) => {
  try { return await promise; } catch (e) { problems.push(`${what}: ${e.message.split('\n')[0]}`); return null; }
};

// Without the token, or with a wrong one: refused, with a challenge a browser answers.
for (const auth of [null, `Basic ${Buffer.from('ops:wrong').toString('base64')}`]) {
  const refused = await fetch(BASE, { headers: auth ? { Authorization: auth } : {} });
  const challenge = refused.headers.get('www-authenticate') ?? '';
  if (refused.status !== 401 || !challenge.includes('Basic')) {
    problems.push(`the page ${auth ? 'with a wrong token' : 'without the token'} answered ${refused.status} (${challenge})`);
  }
}

const context = await browser.newContext({ httpCredentials: { username: 'ops', password: TOKEN }, viewport: { width: 1200, height: 1000 } });
const page = await context.newPage();
const pageProblems = watch(page);
const requests = [];
page.on('request', (r) => requests.push(r.url()));
const opened = await page.goto(BASE);
if (opened.status() !== 200) problems.push(`the page answered ${opened.status()}`);
await step('the change stream goes live', page.waitForSelector('#status.live', { timeout: 15000 }));
await step('the first panel is drawn', page.waitForSelector('#chart-asr svg.chart', { timeout: 15000 }));
const before = Number(await page.textContent('#n-answered'));
await page.evaluate(() => { window.notReloaded = true; });

const now = Date.now();
const at = (s) => new Date(now + s * 1000).toISOString();
const bodies = [
  { eventType: 'transferAnswer', callId: 'c-live-b1', parentCallId: 'c-live-a', direction: 'outbound', transferTo: '+15550001111', startTime: at(-20), answerTime: at(-12) },
  { eventType: 'transferDisconnect', callId: 'c-live-b2', parentCallId: 'c-live-a', direction: 'outbound', transferTo: '+15550002222', cause: 'busy', startTime: at(-20), endTime: at(-18) },
];
for (const body of bodies) {
  const r = await fetch(new URL('callbacks', BASE), {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (r.status !== 204) problems.push(`posting ${body.callId} answered ${r.status}`);
}

await step('the changes appear in the list', page.waitForFunction(() => {
  const items = [...document.querySelectorAll('#changes li')].map((li) => li.textContent);
  return items.some((t) => t.includes('c-live-b1: answered')) && items.some((t) => t.includes('c-live-b2: ended'));
}, null, { timeout: 15000 }));
await step('the counts follow', page.waitForFunction((n) => Number(document.getElementById('n-answered').textContent) === n + 1, before, { timeout: 15000 }));
await step('the ASR of the last hour is drawn', page.waitForFunction(() => document.querySelectorAll('#chart-asr svg.chart circle').length > 0 && document.getElementById('n-asr').textContent.endsWith('%'), null, { timeout: 15000 }));
const reloaded = !(await page.evaluate(() => window.notReloaded === true));
if (reloaded) problems.push('the page was reloaded');

await page.click('#changes li:has-text("c-live-b2")');
await step('a click draws the call', page.waitForSelector('#call svg.chart[id^="timeline-"]', { timeout: 15000 }));
const timeline = await page.$eval('#call', (el) => ({
  text: el.textContent,
  rows: el.querySelectorAll('table tr').length,
  marks: el.querySelectorAll('svg rect').length,
}));
if (!timeline.text.includes('c-live-a') || timeline.rows < 3 || timeline.marks < 3) problems.push(`the timeline is not the call's: ${JSON.stringify(timeline)}`);
const screenshot = process.env.SCREENSHOT;
if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
await browser.close();

const elsewhere = requests.filter((u) => new URL(u).origin !== origin);
if (elsewhere.length) problems.push(`requests beyond the server: ${elsewhere.join(', ')}`);
problems.push(...pageProblems);
if (problems.length) fail(problems);
console.log(JSON.stringify({ requests: requests.length, timelineRows: timeline.rows }));
