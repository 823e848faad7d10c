/**
 * The commands with --url against a live server on loopback (port 0): the
 * same import, resumption, search and stats paths, through the REST client.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/index.js';
import { buildApp, type AppOptions } from '../../src/server/app.js';
import { jsonLines, quiver, silent, tempDir, vectorOf, writeLines, writeVecs } from './helpers.js';

const API_KEY = 'cli-test-key';
const DIMENSION = 8;

interface Live {
  db: Database;
  url: string;
  data: string;
  close(): Promise<void>;
}

const running: Live[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.close();
});

/** A server over a data directory on 127.0.0.1, a free port, with an API key. */
async function startServer(options: AppOptions = {}): Promise<Live> {
  const data = join(tempDir(), 'data');
  const db = await openDatabase({ path: data, logger: silent });
  const { app } = await buildApp(db, { rateLimitMax: 0, apiKey: API_KEY, ...options });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const live = {
    db,
    url,
    data,
    async close() {
      await app.close();
      await db.close();
    },
  };
  running.push(live);
  return live;
}

function documentLines(count: number): string[] {
  return Array.from({ length: count }, (_, i) => JSON.stringify({ id: `d${i}`, vector: vectorOf(i, DIMENSION), text: `note ${i}`, n: i }));
}

describe('quiver with --url', () => {
  it('imports into a server, resumes, and reports bad lines', async () => {
    const server = await startServer();
    const dir = tempDir();
    const file = writeLines(join(dir, 'docs.jsonl'), [...documentLines(30), '{"id": "bad"', JSON.stringify({ id: 'short', vector: [1] })]);
    const remote = ['--url', server.url, '--api-key', API_KEY, '--batch', '7', '--json'];

    const first = await quiver(['import', 'docs', file, ...remote]);
    expect(first.code).toBe(3);
    expect(JSON.parse(first.stdout)).toMatchObject({ created: true, imported: 30, skipped: 0, rejected: 2, dimension: DIMENSION });
    expect(first.stderr).toMatch(/line 31: invalid JSON/);
    expect(first.stderr).toMatch(/line 32, field 'vector': expected 8, got 1/);

    const collection = server.db.collection('docs');
    expect(collection.count).toBe(30);
    const stored = await collection.get('d12');
    expect(Array.from(stored!.vector!)).toEqual(Array.from(Float32Array.from(vectorOf(12, DIMENSION))));
    expect([stored!.text, stored!.metadata]).toEqual(['note 12', { n: 12 }]);

    // The key may come from the environment; a re-run skips everything stored.
    const again = await quiver(['import', 'docs', file, '--url', server.url, '--json'], { env: { QUIVER_API_KEY: API_KEY } });
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, imported: 0, skipped: 30, rejected: 2 });
    expect(collection.count).toBe(30);
  });

  it('halves batches the server finds too large', async () => {
    const server = await startServer({ bodyLimit: 1500 });
    const file = writeLines(join(tempDir(), 'docs.jsonl'), documentLines(40));
    const result = await quiver(['import', 'docs', file, '--url', server.url, '--api-key', API_KEY, '--batch', '40', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ imported: 40 });
    expect(server.db.collection('docs').count).toBe(40);
  });

  it('searches, lists and describes through the server', async () => {
    const server = await startServer();
    const dir = tempDir();
    const queries = [vectorOf(4, DIMENSION), vectorOf(9, DIMENSION)];
    await quiver(['import', 'docs', writeLines(join(dir, 'docs.jsonl'), documentLines(20)), '--url', server.url, '--api-key', API_KEY]);
    const remote = ['--url', server.url, '--api-key', API_KEY];

    const one = await quiver(['search', 'docs', ...remote, '--vector', JSON.stringify(queries[0]), '--k', '3', '--json']);
    expect(one.code, one.stderr).toBe(0);
    const expected = await server.db.collection('docs').search({ vector: queries[0]!, k: 3 });
    expect((JSON.parse(one.stdout) as { hits: unknown[] }).hits).toEqual(expected.map((hit) => ({ ...hit })));

    const all = await quiver(['search', 'docs', ...remote, '--vector-file', writeVecs(join(dir, 'q.fvecs'), queries), '--all', '--k', '1', '--json']);
    expect((jsonLines(all.stdout) as { hits: { id: string }[] }[]).map((line) => line.hits[0]!.id)).toEqual(['d4', 'd9']);

    const collections = await quiver(['collections', ...remote]);
    expect(collections.stdout).toMatch(/^docs\s+ready\s+20\s+8\s+cosine\s+none$/m);
    const stats = await quiver(['stats', 'docs', ...remote, '--json']);
    const info = JSON.parse(stats.stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ name: 'docs', count: 20, dimension: DIMENSION });
    expect(info.disk).toBeUndefined();
  });

  it('while a server holds the data directory, the local form says so and points to --url', async () => {
    const server = await startServer();
    const result = await quiver(['collections', '--data', server.data]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/in use by another process \(a running 'quiver serve'\?\).*--url/);
  });

  it('reports a wrong API key and an unreachable server as failures', async () => {
    const server = await startServer();
    const denied = await quiver(['collections', '--url', server.url, '--api-key', 'wrong']);
    expect([denied.code, denied.stderr]).toEqual([1, expect.stringMatching(/UNAUTHORIZED/) as unknown]);
    await server.close();
    running.splice(running.indexOf(server), 1);
    const down = await quiver(['collections', '--url', server.url]);
    expect([down.code, down.stderr]).toEqual([1, expect.stringMatching(/NETWORK_ERROR/) as unknown]);
  });
});
