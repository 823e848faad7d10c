/**
 * The dashboard of a cluster node (PostgreSQL as the store of record, a
 * collection of three shards), in chromium: the collection's shards and
 * replicas, and a search's plan drawn with each shard's time.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type SearchHit } from '../../src/index.js';
import type { ClusterCollection } from '../../src/cluster/cluster-collection.js';
import type { ClusterDatabase } from '../../src/cluster/cluster-database.js';
import { buildApp, type QuiverApp } from '../../src/server/app.js';
import { launchChromium, screenshot } from '../fixtures/browser.js';
import { silent } from '../fixtures/databases.js';
import { startPostgres, type PostgresServer } from '../fixtures/postgres.js';
import { scifactDocuments } from '../fixtures/scifact.js';

let pg: PostgresServer;
let node: ClusterDatabase;
let articles: ClusterCollection;
let server: QuiverApp;
let url: string;
let browser: Browser;

beforeAll(async () => {
  pg = await startPostgres();
  node = await openDatabase({ cluster: { store: pg.url, nodeId: 'n1' }, workers: 0, logger: silent });
  articles = await node.createCollection('articles', { dimension: 16, shards: 3, replicas: 1 });
  await articles.upsert(scifactDocuments(90, 16));
  server = await buildApp(node, {});
  url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.app.close();
  await node?.close();
  await pg?.stop();
});

describe('the dashboard of a cluster node', () => {
  it('shows the shards and replicas, and draws each shard\'s part of a search', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${url}/dashboard/`);
    const row = page.getByRole('row', { name: /^articles/ });
    await row.waitFor();
    await expect(row.locator('td').first().innerText()).resolves.toMatch(/^ready\s+3 shards × 1 replica$/);
    await expect(row.locator('td').nth(1).innerText()).resolves.toBe('90');

    await page.getByRole('link', { name: 'Search articles' }).click();
    await page.getByLabel('Words').fill('cancer cells');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const hits = (await articles.search({ text: 'cancer cells', mode: 'keyword', k: 10 })) as SearchHit[];
    await expect.poll(() => page.getByRole('table', { name: 'Hits, best first' }).locator('tbody th[scope=row]').allInnerTexts()).toEqual(hits.map((hit) => hit.id));
    const description = await page.getByRole('img', { name: /^How the search ran/ }).locator('desc').textContent();
    expect(description).toMatch(/ 3 shards: shard 0 keyword [\d.]+ ms, shard 1 keyword [\d.]+ ms, shard 2 keyword [\d.]+ ms\.$/);
    await screenshot(page, '12-cluster-search');
    await context.close();
  });
});
