// `node report.mjs REPORT.html [SCREENSHOT.png]`: opens a callfold report in headless chromium and
// checks that it makes no request but its own file, logs no error, has no script, and that every
// chart is present, drawn and named. Prints what it checked; exits 1 on the first failures.
import { pathToFileURL } from 'node:url';
import { launch, watch, fail } from './chromium.mjs';

const [file, screenshot] = process.argv.slice(2);
const url = pathToFileURL(file).href;
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
const problems = watch(page);
const requests = [];
page.on('request', (r) => requests.push(r.url()));
await page.goto(url, { waitUntil: 'load' });

const charts = await page.$$eval('svg.chart', (svgs) => svgs.map((svg) => {
  const box = svg.getBoundingClientRect();
  const title = svg.querySelector('title')?.textContent ?? '';
  const labelled = (svg.getAttribute('aria-labelledby') ?? '').split(' ').every((id) => document.getElementById(id));
  // Marks drawn beyond the background and the axes: bars, points, lines of data.
  const marks = svg.querySelectorAll('rect, circle, polyline, polygon, path').length;
  const texts = [...svg.querySelectorAll('text')].map((t) => t.textContent.trim()).filter(Boolean);
  return { id: svg.id, width: box.width, height: box.height, title, labelled, role: svg.getAttribute('role'), marks, texts: texts.length };
}));
const scripts = await page.$$eval('script', (s) => s.length);
const links = await page.$$eval('a[href^="#call-"]', (as) => as.map((a) => a.getAttribute('href')));
const broken = await page.$$eval('a[href^="#"]', (as) => as.map((a) => a.getAttribute('href').slice(1)).filter((id) => id && !document.getElementById(id)));
if (screenshot) await page.screenshot({ path: screenshot, fullPage: false });
await browser.close();

const expected = (process.env.EXPECT_CHARTS ?? '').split(',').filter(Boolean);
for (const id of expected) {
  if (!charts.some((c) => c.id === id)) problems.push(`chart ${id} is missing`);
}
for (const c of charts) {
  if (!(c.width > 100 && c.height > 50)) problems.push(`chart ${c.id} is ${c.width}x${c.height}`);
  if (!c.title || !c.labelled || c.role !== 'img') problems.push(`chart ${c.id} has no accessible name`);
  if (c.marks < 3) problems.push(`chart ${c.id} draws nothing (${c.marks} marks)`);
  if (c.texts < 2) problems.push(`chart ${c.id} has no axis labels`);
}
const others = requests.filter((r) => r !== url);
if (others.length) problems.push(`requests beyond the file: ${others.join(', ')}`);
if (scripts) problems.push(`${scripts} script elements: the report must read without JavaScript`);
if (broken.length) problems.push(`links to nothing: ${broken.join(', ')}`);
if (problems.length) fail(problems);
console.log(JSON.stringify({ charts: charts.length, ids: charts.map((c) => c.id), callLinks: links.length, requests: requests.length }));
