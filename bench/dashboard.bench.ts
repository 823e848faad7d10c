/**
 * What a dashboard user gets (issue 22): `npm run bench:dashboard`
 * [N=20000 D=384 ROUNDS=10].
 *
 * A server with API keys and default settings over one collection of N
 * documents (SciFact texts, random vectors of D), and Debian's chromium
 * (as the tests drive it). Interleaved rounds of:
 * - a cold load: a fresh browser session (no cache) opening /dashboard/
 *   with a key, from navigation start to the frame that shows the
 *   collections table (measured in the page); the bytes it downloaded;
 * - a reload of the same session (files revalidated by ETag);
 * - a keyword, a vector (by example) and a hybrid search in the console,
 *   from the click to the frame that shows the hits and the plan (in the
 *   page), beside the same request sent with fetch from the page (the
 *   server's part and the transport);
 * - GET /metrics, which each open metrics view asks every 2 s: its time and size;
 * - for scale, Swagger UI at /docs (the one page Quiver served before) loaded
 *   cold, until its operations show (timed from outside the page, so it
 *   includes Playwright's own overhead: a few ms).
 * Prints medians and the load average; writes bench/results/dashboard.json.
 */
import { loadavg } from 'node:os';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openDatabase } from '../src/index.js';
import { buildApp } from '../src/server/app.js';
import { launchChromium } from '../test/fixtures/browser.js';
import { randomVectors } from '../test/fixtures/random.js';
import { scifactDocuments } from '../test/fixtures/scifact.js';
import { createProgress, fmt, machineInfo, printTable, writeResults } from './lib/harness.js';
import { median, percentile } from './lib/stats.js';

const N = Number(process.env.N ?? 20_000);
const D = Number(process.env.D ?? 384);
const ROUNDS = Number(process.env.ROUNDS ?? 10);
const KEY = 'bench-dashboard-key-0123456789';
const progress = createProgress();

const db = await openDatabase();
const collection = await db.createCollection('articles', { dimension: D, metric: 'cosine' });
const texts = scifactDocuments(5_183, 2).map((document) => document.text);
const vectors = randomVectors(N, D, 22);
for (let from = 0; from < N; from += 1_000) {
  await collection.upsert(
    Array.from({ length: Math.min(1_000, N - from) }, (_, i) => {
      const n = from + i;
      return { id: `d${n}`, vector: vectors.subarray(n * D, (n + 1) * D), text: texts[n % texts.length]!, metadata: { n, even: n % 2 === 0 } };
    }),
  );
  if ((from / 1_000) % 5 === 4) progress.log(`loaded ${from + 1_000}/${N}`);
}
await collection.indexed();
const { app } = await buildApp(db, { apiKey: KEY });
const url = await app.listen({ host: '127.0.0.1', port: 0 });
const browser: Browser = await launchChromium();

/** The page's globals the callbacks run in the page use (this file is type-checked with Node's globals). */
interface PageGlobals {
  sessionStorage: { setItem(key: string, value: string): void };
  document: { querySelector(selector: string): { click(): void } | null };
  requestAnimationFrame(callback: () => void): void;
  addEventListener(event: string, listener: () => void): void;
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void; disconnect(): void };
  performance: { now(): number };
  /** Set by the init script: ms from navigation start to the collections table's first row painted. */
  collectionsDrawnAt?: number;
}

/**
 * A browser session that has the key in its tab's sessionStorage already,
 * as after typing it once, and notes when the collections table is first
 * painted (ms since navigation start, measured in the page).
 */
async function session(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript((key) => {
    const page = globalThis as unknown as PageGlobals;
    page.sessionStorage.setItem('quiver.apiKey', key);
    // Animation frames asked for this early never come: watch the document for the row, then wait for the frame that paints it.
    page.addEventListener('DOMContentLoaded', () => {
      const seen = new page.MutationObserver(() => {
        if (page.document.querySelector('table.collections tbody tr') === null) return;
        seen.disconnect();
        page.requestAnimationFrame(() => (page.collectionsDrawnAt = page.performance.now()));
      });
      seen.observe(page.document, { childList: true, subtree: true });
    });
  }, KEY);
  return context;
}

/** Clicks the console's Search button in the page and returns the ms until the frame that shows its hits. */
async function searchInPage(page: Page, answer: number): Promise<number> {
  return page.evaluate(async (next) => {
    const { document, requestAnimationFrame, performance } = globalThis as unknown as PageGlobals;
    // No named function in here: tsx would wrap it in a helper the page does not have.
    const started = performance.now();
    document.querySelector('form.search-form button[type=submit]')!.click();
    while (document.querySelector(`.results[data-searches="${next}"]`) === null) await new Promise<void>((resolve) => requestAnimationFrame(resolve));
    await new Promise<void>((resolve) => requestAnimationFrame(resolve));
    return performance.now() - started;
  }, answer);
}

const times: Record<string, number[]> = {};
const record = (name: string, ms: number) => (times[name] ??= []).push(ms);
const downloaded: number[] = [];
/** The size of the last GET /metrics reply. */
let metricsBytes = 0;

async function search(page: Page, mode: 'keyword' | 'vector' | 'hybrid', round: number): Promise<void> {
  await page.getByLabel(mode === 'keyword' ? 'Keyword (BM25)' : mode === 'vector' ? 'Vector' : 'Hybrid', { exact: true }).check();
  const words = ['cancer cells', 'protein expression', 'immune response', 'gene regulation'][round % 4]!;
  if (mode !== 'vector') await page.getByLabel('Words').fill(words);
  if (mode !== 'keyword') await page.getByLabel('Document id').fill(`d${(round * 997) % N}`);
  const body = { k: 10, explain: true, include: ['metadata', 'text'], ...(mode !== 'vector' && { text: words }), ...(mode === 'keyword' && { mode: 'keyword' }), ...(mode !== 'keyword' && { like: [`d${(round * 997) % N}`] }) };
  // The same request from the page with fetch: the server's part of what the console shows.
  record(
    `${mode}: fetch alone`,
    await page.evaluate(async ({ body, key }) => {
      const t = performance.now();
      const reply = await fetch('/collections/articles/search', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'cache-control': 'no-cache' }, body: JSON.stringify(body) });
      await reply.json();
      return performance.now() - t;
    }, { body, key: KEY }),
  );
  // The console counts the searches it has answered: the next count is this search's hits drawn.
  const results = page.locator('.results');
  const answered = (await results.count()) === 0 ? 0 : Number(await results.getAttribute('data-searches'));
  record(`${mode}: in the console`, await searchInPage(page, answered + 1));
}

for (let round = 0; round < ROUNDS; round++) {
  progress.log(`round ${round + 1}/${ROUNDS}`);
  const context = await session();
  const page = await context.newPage();
  let bytes = 0;
  page.on('requestfinished', (request) => void request.sizes().then((sizes) => (bytes += sizes.responseBodySize + sizes.responseHeadersSize)));
  const drawnAt = async () => {
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).collectionsDrawnAt !== undefined);
    return page.evaluate(() => (globalThis as unknown as PageGlobals).collectionsDrawnAt!);
  };
  await page.goto(`${url}/dashboard/`);
  record('cold load (new session)', await drawnAt());
  downloaded.push(bytes);
  await page.reload();
  record('reload (files revalidated)', await drawnAt());
  await page.getByRole('link', { name: 'Search articles' }).click();
  for (const mode of (['keyword', 'vector', 'hybrid'] as const).map((_, j, all) => all[(round + j) % 3]!)) await search(page, mode, round);
  await context.close();
  // For scale: Swagger UI at /docs, the one page Quiver served before, cold, until its operations show.
  const docs = await browser.newContext({ viewport: { width: 1280, height: 900 }, extraHTTPHeaders: { 'x-api-key': KEY } });
  const docsPage = await docs.newPage();
  const docsStarted = performance.now();
  await docsPage.goto(`${url}/docs`);
  await docsPage.locator('.opblock').first().waitFor();
  record('Swagger UI at /docs, cold (for scale)', performance.now() - docsStarted);
  await docs.close();
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const reply = await fetch(`${url}/metrics`, { headers: { 'x-api-key': KEY } });
    const text = await reply.text();
    record('GET /metrics (each open metrics view, every 2 s)', performance.now() - t);
    metricsBytes = text.length;
  }
}

const load = loadavg()[0]!.toFixed(2);
const order = ['cold load (new session)', 'reload (files revalidated)', 'Swagger UI at /docs, cold (for scale)', 'keyword: in the console', 'keyword: fetch alone', 'vector: in the console', 'vector: fetch alone', 'hybrid: in the console', 'hybrid: fetch alone', 'GET /metrics (each open metrics view, every 2 s)'];
const summary = Object.fromEntries(
  order.map((name) => {
    const sorted = [...times[name]!].sort((a, b) => a - b);
    return [name, { p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), runs: sorted.length }];
  }),
);
const rows = order.map((name) => [name, fmt(summary[name]!.p50, 1), fmt(summary[name]!.p90, 1), String(summary[name]!.runs)]);
printTable(`dashboard in chromium, ${N} documents x ${D}, default settings, keys on (ms; load ${load})`, ['what', 'p50', 'p90', 'runs'], rows);
const medianBytes = median(downloaded);
console.log(`a cold load downloads ${fmt(medianBytes / 1024, 1)} KiB (bodies as sent, compressed, and headers; API replies included); /metrics is ${fmt(metricsBytes / 1024, 1)} KiB`);
console.log(
  `results: ${writeResults('dashboard.json', {
    machine: machineInfo(),
    settings: { N, D, ROUNDS },
    load,
    downloadedBytes: medianBytes,
    metricsBytes,
    ms: summary,
  })}`,
);
await browser.close();
await app.close();
await db.close();
