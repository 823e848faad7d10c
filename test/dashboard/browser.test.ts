/**
 * The dashboard in a real headless chromium against the real server with
 * API keys: the key prompt (401), the collections, paging through
 * documents, keyword, vector and hybrid searches read back from the page
 * and checked against the library's own answers, the explain picture, the
 * read-only key (403, nothing changes), live metrics, keyboard use, and an
 * axe accessibility check of every view. Screenshots: test-artifacts/dashboard.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Collection, type SearchHit } from '../../src/index.js';
import { startServer, silent, type LiveServer } from '../client/helpers.js';
import { launchChromium, screenshot } from '../fixtures/browser.js';
import { letterEmbedder } from '../fixtures/letter-embeddings.js';
import { scifactDocuments, type SciFactDocument } from '../fixtures/scifact.js';

const KEY = 'dashboard-read-write-key-0123456789';
const READ_ONLY_KEY = 'dashboard-read-only-key-0123456789';
const DOCUMENTS = 60;
const DIMENSION = 16;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The page's globals the callbacks run in the page use (this file is type-checked with Node's globals, not the DOM's). */
interface PageGlobals {
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  localStorage: { length: number };
  document: { cookie: string; activeElement: { id: string; textContent: string | null } | null };
  location: { hash: string };
  axe: { run(context: unknown, options: object): Promise<{ violations: { id: string; help: string; nodes: { target: string[] }[] }[] }> };
}

let server: LiveServer;
let browser: Browser;
let articles: Collection;
/** Embeds text itself (the letter-count embedder): the console's "Embed the text". */
let embedded: Collection;
let documents: SciFactDocument[];

beforeAll(async () => {
  const db = await openDatabase({ logger: silent, embedders: { letters: letterEmbedder(DIMENSION) } });
  articles = await db.createCollection('articles', { dimension: DIMENSION, metric: 'cosine' });
  documents = scifactDocuments(DOCUMENTS, DIMENSION);
  await articles.upsert(documents);
  embedded = await db.createCollection('embedded', { dimension: DIMENSION, embedder: { provider: 'local', model: 'letters' } });
  await embedded.upsert(documents.slice(0, 20).map(({ id, text, metadata }) => ({ id, text, metadata })));
  const notes = await db.createCollection('notes', {});
  await notes.upsert([{ id: 'note-1', text: 'a keyword-only collection', metadata: { kind: 'note' } }]);
  server = await startServer({ apiKey: KEY, readOnlyKey: READ_ONLY_KEY }, db);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A fresh browser session (its own sessionStorage) with the dashboard open; console errors and failed page loads are collected. */
async function open(context?: BrowserContext): Promise<{ page: Page; context: BrowserContext; problems: string[] }> {
  const ctx = context ?? (await browser.newContext({ viewport: { width: 1280, height: 900 } }));
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // The browser logs every API call answered 4xx, which the tests make on purpose and the page shows; anything else is a problem.
    if (message.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${server.url}/dashboard/`);
  return { page, context: ctx, problems };
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.getByRole('textbox', { name: 'API key' }).fill(key);
  await page.getByRole('button', { name: 'Use this key' }).click();
  await page.getByRole('navigation', { name: 'Dashboard' }).waitFor();
}

/** axe-core's violations on the page as it is now (WCAG 2 A and AA rules), as readable strings. */
async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const { axe, document } = globalThis as unknown as PageGlobals;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
  return violations;
}

/** The ids in the hits table, best first. */
async function hitIds(page: Page): Promise<string[]> {
  return page.getByRole('table', { name: 'Hits, best first' }).locator('tbody th[scope=row]').allInnerTexts();
}

async function searchIds(request: Parameters<Collection['search']>[0], collection = articles): Promise<string[]> {
  const hits = (await collection.search(request)) as SearchHit[];
  return hits.map((hit) => hit.id);
}

describe('the dashboard in chromium', () => {
  it('asks for a key, answers a wrong one with 401, and keeps the right one in this tab only', async () => {
    const { page, context, problems } = await open();
    await expect(page.getByRole('heading', { name: 'This server needs an API key' }).isVisible()).resolves.toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, '01-key-prompt');

    await page.getByRole('textbox', { name: 'API key' }).fill('not-the-key');
    await page.getByRole('button', { name: 'Use this key' }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toContain('401 UNAUTHORIZED');
    await screenshot(page, '02-key-refused');

    await signIn(page, KEY);
    await expect(page.locator('.session .badge').innerText()).resolves.toBe('read-write key');
    const stored = await page.evaluate(() => {
      const { sessionStorage, localStorage, document } = globalThis as unknown as PageGlobals;
      return { session: sessionStorage.getItem('quiver.apiKey'), local: localStorage.length, cookie: document.cookie };
    });
    expect(stored).toEqual({ session: KEY, local: 0, cookie: '' });

    // A key the server stops accepting mid-session (its keys changed): the next call that gets 401 asks again.
    await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.setItem('quiver.apiKey', 'a-key-since-revoked'));
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('heading', { name: 'This server needs an API key' }).waitFor();
    await expect(page.getByRole('alert').innerText()).resolves.toContain('401 UNAUTHORIZED');
    await signIn(page, KEY);

    // Another browser session (another tab's storage) is asked again.
    const other = await open();
    await other.page.getByRole('heading', { name: 'This server needs an API key' }).waitFor();
    await other.context.close();

    // Forgetting the key asks for one again.
    await page.getByRole('button', { name: 'Forget key' }).click();
    await page.getByRole('heading', { name: 'This server needs an API key' }).waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.getItem('quiver.apiKey'))).toBeNull();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('lists the collections with their settings, counts, memory and backlog', async () => {
    const { page, context, problems } = await open();
    await signIn(page, KEY);
    const table = page.getByRole('table', { name: /^Collections/ });
    const row = table.getByRole('row', { name: /^articles/ });
    await row.waitFor();
    const cells = await row.locator('td').allInnerTexts();
    const info = articles.info;
    expect(cells.slice(0, 7)).toEqual([
      'ready',
      String(DOCUMENTS),
      `${DIMENSION} d, cosine`,
      `M ${info.hnsw!.m}, efC ${info.hnsw!.efConstruction}, ef ${info.hnsw!.ef}`,
      expect.stringMatching(/^[\d.]+ (B|KiB|MiB)$/),
      String(info.indexingBacklog),
      String(info.tombstones),
    ]);
    await expect(table.getByRole('row', { name: /^notes/ }).locator('td').nth(2).innerText()).resolves.toBe('keyword only');
    await expect(table.getByRole('row', { name: /^embedded/ }).locator('td').nth(7).innerText()).resolves.toBe('letters');
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, '03-collections');

    // The read-write key may optimize: the button runs it, and the graph is laid out afresh (its memory figure stays).
    const optimize = page.getByRole('button', { name: 'Optimize articles' });
    const optimized = vi.spyOn(articles, 'optimize');
    try {
      await optimize.click();
      await expect.poll(() => optimized.mock.settledResults.length).toBe(1);
      await expect.poll(() => optimize.innerText()).toBe('Optimize');
      await expect(row.getByRole('alert').count()).resolves.toBe(0);
      expect(articles.info.count).toBe(DOCUMENTS);
    } finally {
      optimized.mockRestore();
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  it('pages through documents, filters them, and shows a bad filter\'s error', async () => {
    const { page, context, problems } = await open();
    await signIn(page, KEY);
    await page.getByRole('link', { name: 'Browse the documents of articles' }).click();
    const status = page.locator('.page-status');
    const ids = () => page.getByRole('table', { name: /^Documents of articles/ }).locator('tbody th[scope=row]').allInnerTexts();
    const stored = (await articles.list({ limit: DOCUMENTS })).documents.map((d) => d.id);

    await expect.poll(() => status.innerText()).toBe(`Documents 1–25 of ${DOCUMENTS}, page 1`);
    expect(await ids()).toEqual(stored.slice(0, 25));
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => status.innerText()).toBe(`Documents 26–50 of ${DOCUMENTS}, page 2`);
    expect(await ids()).toEqual(stored.slice(25, 50));
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => status.innerText()).toBe(`Documents 51–60 of ${DOCUMENTS}, page 3`);
    expect(await ids()).toEqual(stored.slice(50));
    await expect(page.getByRole('button', { name: 'Next page' }).isDisabled()).resolves.toBe(true);
    // A keyword-only collection's documents have no vectors to be similar by.
    await page.getByLabel('Collection').selectOption('notes');
    await page.getByRole('table', { name: /^Documents of notes/ }).waitFor();
    await expect(page.getByRole('link', { name: /^Documents similar to/ }).count()).resolves.toBe(0);
    await page.getByLabel('Collection').selectOption('articles');
    await expect.poll(() => status.innerText()).toBe(`Documents 1–25 of ${DOCUMENTS}, page 1`);
    for (let i = 0; i < 2; i++) await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => status.innerText()).toBe(`Documents 51–60 of ${DOCUMENTS}, page 3`);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(() => status.innerText()).toBe(`Documents 26–50 of ${DOCUMENTS}, page 2`);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, '04-documents');

    // A document's "Similar" link: the console, set to search by it, with its answer.
    const similarTo = stored[30]!;
    await page.getByRole('link', { name: `Documents similar to ${similarTo}` }).click();
    await expect.poll(() => hitIds(page)).toEqual(await searchIds({ like: [similarTo], k: 10 }));
    await expect(page.getByLabel('Document id').inputValue()).resolves.toBe(similarTo);
    await page.goBack();
    await page.getByRole('table', { name: /^Documents of articles/ }).waitFor();

    // A filter starts again from the first page, with its own count.
    const even = (await articles.list({ filter: { even: true }, limit: DOCUMENTS })).documents.map((d) => d.id);
    await page.getByRole('textbox', { name: 'Filter' }).fill('{"even": true}');
    await page.getByLabel('Per page').selectOption('10');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await expect.poll(() => status.innerText()).toBe(`Documents 1–10 of ${even.length}, page 1`);
    expect(await ids()).toEqual(even.slice(0, 10));

    // Not JSON: said beside the field, nothing sent. A filter the server refuses: its code.
    await page.getByRole('textbox', { name: 'Filter' }).fill('{even: true');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await expect(page.locator('.field-problem').innerText()).resolves.toContain('The filter is not JSON');
    await page.getByRole('textbox', { name: 'Filter' }).fill('{"n": {"$near": 3}}');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await expect(page.getByRole('alert').first().innerText()).resolves.toMatch(/^400 INVALID_FILTER/);
    await screenshot(page, '05-documents-bad-filter');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('runs keyword, vector (by example and pasted) and hybrid searches: the hits are the library\'s, the plan a picture', async () => {
    const { page, context, problems } = await open();
    await signIn(page, KEY);
    await page.getByRole('link', { name: 'Search articles' }).click();
    const search = page.getByRole('button', { name: 'Search', exact: true });

    await page.getByLabel('Keyword (BM25)').check();
    await page.getByLabel('Words').fill('cancer cells');
    await search.click();
    await page.getByRole('table', { name: 'Hits, best first' }).waitFor();
    const keywordIds = await searchIds({ text: 'cancer cells', mode: 'keyword', k: 10 });
    expect(keywordIds.length).toBeGreaterThan(0);
    expect(await hitIds(page)).toEqual(keywordIds);
    const picture = page.getByRole('img', { name: /^How the search ran/ });
    await expect(picture.locator('desc').textContent()).resolves.toMatch(/^Plan keyword/);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, '06-search-keyword');

    const example = documents[3]!.id;
    await page.getByLabel('Vector', { exact: true }).check();
    await page.getByLabel('Document id').fill(example);
    await page.getByLabel('Hits (k)').fill('5');
    await search.click();
    const likeIds = await searchIds({ like: [example], k: 5 });
    await expect.poll(() => hitIds(page)).toEqual(likeIds);
    await expect(picture.locator('desc').textContent()).resolves.toMatch(/^Plan (exact|hnsw)/);
    await screenshot(page, '07-search-vector');

    const vector = Array.from(documents[7]!.vector);
    await page.getByLabel('Pasted vector').check();
    await page.getByRole('textbox', { name: 'Vector' }).fill(JSON.stringify(vector));
    await search.click();
    const pastedIds = await searchIds({ vector, k: 5 });
    expect(pastedIds[0]).toBe(documents[7]!.id);
    await expect.poll(() => hitIds(page)).toEqual(pastedIds);

    await page.getByLabel('Hybrid').check();
    await page.getByLabel('Words').fill('protein');
    await page.getByRole('textbox', { name: 'Filter' }).fill('{"even": true}');
    await search.click();
    const hybridIds = await searchIds({ text: 'protein', vector, k: 5, filter: { even: true }, fusion: 'relativeScore', alpha: 0.5 });
    await expect.poll(() => hitIds(page)).toEqual(hybridIds);
    const headers = await page.getByRole('table', { name: 'Hits, best first' }).locator('thead th').allInnerTexts();
    expect(headers).toContain('Vector score');
    expect(headers).toContain('Keyword score');
    await expect(picture.locator('desc').textContent()).resolves.toMatch(/^Plan hybrid/);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, '08-search-hybrid');

    // A search the server refuses (a vector of the wrong length): its status and code.
    await page.getByRole('textbox', { name: 'Vector' }).fill('[1, 2, 3]');
    await search.click();
    await expect(page.getByRole('alert').innerText()).resolves.toMatch(/^400 DIMENSION_MISMATCH/);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('embeds the text with the collection\'s embedder for a vector or hybrid search', async () => {
    const { page, context, problems } = await open();
    await signIn(page, KEY);
    await page.getByRole('link', { name: 'Search embedded' }).click();
    await page.getByLabel('Vector', { exact: true }).check();
    const embed = page.getByLabel('Embed the text');
    await expect.poll(() => embed.isEnabled()).toBe(true);
    await embed.check();
    await page.getByLabel('Text to embed').fill('immune response');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => hitIds(page)).toEqual(await searchIds({ text: 'immune response', mode: 'semantic', k: 10 }, embedded));
    await page.getByLabel('Hybrid').check();
    await page.getByLabel('Words').fill('immune response');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => hitIds(page)).toEqual(await searchIds({ text: 'immune response', mode: 'hybrid', k: 10, fusion: 'relativeScore', alpha: 0.5 }, embedded));
    // A collection without an embedder offers no such choice.
    await page.getByLabel('Collection').selectOption('articles');
    await page.getByLabel('Vector', { exact: true }).check();
    await expect.poll(() => page.getByLabel(/^Embed the text/).isDisabled()).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('passes the accessibility check in the dark colour scheme too', async () => {
    const { page, context, problems } = await open(await browser.newContext({ colorScheme: 'dark', viewport: { width: 1280, height: 900 } }));
    await signIn(page, READ_ONLY_KEY);
    await page.getByRole('table', { name: /^Collections/ }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'Search articles' }).click();
    await page.getByLabel('Words').fill('cancer');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('table', { name: 'Hits, best first' }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, '11-dark');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('with the read-only key: sees everything, every change is disabled, and the server refuses one anyway (403)', async () => {
    const before = articles.count;
    const { page, context, problems } = await open();
    await signIn(page, READ_ONLY_KEY);
    await expect(page.locator('.session .badge').innerText()).resolves.toBe('read-only key');
    const optimize = page.getByRole('button', { name: 'Optimize articles' });
    await optimize.waitFor();
    await expect(optimize.isDisabled()).resolves.toBe(true);

    await page.getByRole('link', { name: 'Browse the documents of articles' }).click();
    await page.getByRole('table', { name: /^Documents of articles/ }).waitFor();
    const deletes = page.getByRole('button', { name: /^Delete document / });
    expect(await deletes.count()).toBe(25);
    for (const button of await deletes.all()) expect(await button.isDisabled()).toBe(true);
    await screenshot(page, '09-read-only');

    // The page would send this if it offered the button: the server answers 403 and nothing changes.
    const id = documents[0]!.id;
    const reply = await page.evaluate(async (target) => {
      const response = await fetch(`/collections/articles/documents/${encodeURIComponent(target)}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${(globalThis as unknown as PageGlobals).sessionStorage.getItem('quiver.apiKey')}` },
      });
      return { status: response.status, code: ((await response.json()) as { code: string }).code };
    }, id);
    expect(reply).toEqual({ status: 403, code: 'FORBIDDEN' });
    expect(articles.count).toBe(before);
    expect((await articles.get(id))?.id).toBe(id);

    // Reading and searching work with it.
    await page.getByRole('link', { name: 'Search', exact: true }).click();
    await page.getByLabel('Words').fill('cancer');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('table', { name: 'Hits, best first' }).waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('with the read-write key: deletes a document after asking', async () => {
    const { page, context, problems } = await open();
    await signIn(page, KEY);
    await page.getByRole('link', { name: 'Browse the documents of articles' }).click();
    const id = documents[1]!.id;
    const button = page.getByRole('button', { name: `Delete document ${id}` });
    await button.waitFor();
    page.once('dialog', (dialog) => void dialog.dismiss());
    await button.click();
    expect((await articles.get(id))?.id).toBe(id);
    page.once('dialog', (dialog) => void dialog.accept());
    await button.click();
    await expect.poll(() => page.locator('.page-status').innerText()).toBe(`Documents 1–25 of ${DOCUMENTS - 1}, page 1`);
    expect(await articles.get(id)).toBeNull();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('draws live metrics: request rate, latency percentiles and the cache hit rate', async () => {
    const { page, context, problems } = await open();
    await signIn(page, READ_ONLY_KEY);
    await page.getByRole('link', { name: 'Metrics' }).click();
    await page.getByRole('heading', { name: 'Metrics' }).waitFor();
    // Traffic from outside the page: the same search many times (cache hits after the first).
    const traffic = setInterval(() => {
      for (let i = 0; i < 5; i++) void fetch(`${server.url}/collections/articles/search?text=cancer&k=3`, { headers: { 'x-api-key': READ_ONLY_KEY } });
    }, 100);
    try {
      await expect.poll(() => page.locator('[data-figure=rate]').innerText(), { timeout: 15_000 }).toMatch(/^[1-9][\d.]*$/);
      await expect.poll(() => page.locator('[data-figure=p50]').innerText(), { timeout: 15_000 }).toMatch(/ ms$/);
      await expect.poll(() => page.locator('[data-figure=cache]').innerText(), { timeout: 15_000 }).toMatch(/^\d+ %$/);
    } finally {
      clearInterval(traffic);
    }
    // Three readings at least, so that each chart draws a line.
    await expect.poll(() => page.locator('.charts').getAttribute('data-readings'), { timeout: 15_000 }).toMatch(/^([3-9]|\d\d+)$/);
    expect(await page.locator('.chart canvas').count()).toBe(3);
    await expect(page.getByRole('img', { name: /^Request rate: \d/ }).count()).resolves.toBe(1);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, '10-metrics');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('works from the keyboard: key, navigation and a search without the mouse', async () => {
    const { page, context, problems } = await open();
    await page.getByRole('textbox', { name: 'API key' }).waitFor();
    // The skip link first, then the key field.
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.textContent)).resolves.toBe('Skip to content');
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id)).resolves.toBe('api-key');
    await page.keyboard.type(KEY);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Dashboard' }).waitFor();

    // The collection's own link in the table, then the search form.
    await page.getByRole('link', { name: 'Search articles' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as PageGlobals).location.hash)).toBe('#/search/articles');
    await page.getByLabel('Words').focus();
    await page.keyboard.type('cancer');
    await page.keyboard.press('Enter');
    await page.getByRole('table', { name: 'Hits, best first' }).waitFor();
    expect(await hitIds(page)).toEqual(await searchIds({ text: 'cancer', mode: 'keyword', k: 10 }));
    expect(problems).toEqual([]);
    await context.close();
  });
});
