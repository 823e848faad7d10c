/**
 * The real server process (`quiver serve`) on a loopback port: a SIGKILL
 * loses no acknowledged write, SIGTERM exits 0 after writing a snapshot, and
 * a second server on the same data directory refuses to start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { rng } from '../fixtures/random.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const DIMENSION = 8;

interface Server {
  process: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();
const dirs: string[] = [];

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function spawnServer(data: string): { process: ChildProcess; exited: Server['exited']; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--host', '127.0.0.1', '--port', '0', '--data', data, '--log-level', 'silent'], {
    cwd: ROOT,
    env: { ...process.env, QUIVER_RATE_LIMIT_MAX: '0', QUIVER_API_KEY: '', QUIVER_READ_ONLY_KEY: '', REDIS_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      done({ code, signal });
    }),
  );
  return { process: child, exited, stdout: () => stdout, stderr: () => stderr };
}

/** Starts `quiver serve --port 0` and waits for its "listening on" line. */
async function startServer(data: string): Promise<Server> {
  const started = spawnServer(data);
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start in 30 s:\n${started.stdout()}\n${started.stderr()}`)), 30_000);
    const check = () => {
      const match = /quiver listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(started.stdout());
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]!);
      }
    };
    started.process.stdout!.on('data', check);
    void started.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code ?? signal}) before listening:\n${started.stderr()}`));
    });
  });
  return { process: started.process, url, stderr: started.stderr, exited: started.exited };
}

async function request(server: Server, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-restart-'));
  dirs.push(dir);
  return dir;
}

function vectorOf(next: () => number): number[] {
  // Values exact in float32, so what comes back compares equal.
  return Array.from({ length: DIMENSION }, () => Math.fround(next() * 2 - 1));
}

/** Each test starts node processes (about 1-2 s each here); leave room for slow machines. */
const TIMEOUT = 120_000;

describe('restarts', () => {
  it('a SIGKILL loses nothing acknowledged', async () => {
    const data = dataDir();
    const first = await startServer(data);
    expect((await request(first, 'POST', '/collections', { name: 'docs', dimension: DIMENSION, metric: 'l2' })).status).toBe(201);

    const next = rng(7);
    const acknowledged = new Map<string, { vector: number[]; metadata: { batch: number } }>();
    const batches = Array.from({ length: 60 }, (_, batch) =>
      Array.from({ length: 25 }, (_, i) => ({ id: `b${batch}-${i}`, vector: vectorOf(next), metadata: { batch } })),
    );
    // Four writers at a time; kill the server while writes are still in flight.
    let nextBatch = 0;
    let killed = false;
    const writer = async () => {
      while (nextBatch < batches.length && !killed) {
        const documents = batches[nextBatch++]!;
        try {
          const reply = await request(first, 'POST', '/collections/docs/documents', { documents });
          if (reply.status === 200) for (const document of documents) acknowledged.set(document.id, document);
        } catch {
          // The connection died with the server: this batch was not acknowledged.
        }
        if (acknowledged.size >= 600 && !killed) {
          killed = true;
          first.process.kill('SIGKILL');
        }
      }
    };
    await Promise.all([writer(), writer(), writer(), writer()]);
    const exit = await first.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(acknowledged.size).toBeGreaterThanOrEqual(600);

    const second = await startServer(data);
    try {
      const count = (await request(second, 'POST', '/collections/docs/count', {})).json.count as number;
      expect(count).toBeGreaterThanOrEqual(acknowledged.size);
      // Whole batches or nothing: the count is a multiple of the batch size.
      expect(count % 25).toBe(0);
      const ids = [...acknowledged.keys()];
      const found = await request(second, 'POST', '/collections/docs/documents/get', { ids });
      expect(found.status).toBe(200);
      expect(found.json.missing).toEqual([]);
      for (const document of found.json.documents as { id: string; vector: number[]; metadata: unknown }[]) {
        const expected = acknowledged.get(document.id)!;
        expect(document.vector).toEqual(expected.vector);
        expect(document.metadata).toEqual(expected.metadata);
      }
      // The index answers too: each acknowledged vector finds itself.
      const probe = acknowledged.get(ids[ids.length - 1]!)!;
      const hits = (await request(second, 'POST', '/collections/docs/search', { vector: probe.vector, k: 1, exact: false })).json.hits as { id: string }[];
      expect(hits[0]!.id).toBe(ids[ids.length - 1]);
    } finally {
      second.process.kill('SIGTERM');
      await second.exited;
    }
  }, TIMEOUT);

  it('SIGTERM exits 0 after writing a snapshot, and the data comes back', async () => {
    const data = dataDir();
    const server = await startServer(data);
    expect((await request(server, 'POST', '/collections', { name: 'docs', dimension: DIMENSION })).status).toBe(201);
    const next = rng(11);
    const documents = Array.from({ length: 200 }, (_, i) => ({ id: `d${i}`, vector: vectorOf(next), text: `text ${i}` }));
    expect((await request(server, 'POST', '/collections/docs/documents', { documents })).status).toBe(200);
    // Fewer changes than the snapshot threshold: no snapshot yet.
    const snapshots = join(data, 'snapshots');
    const manifests = () =>
      existsSync(snapshots) ? readdirSync(snapshots).filter((dir) => existsSync(join(snapshots, dir, 'manifest.json'))) : [];
    expect(manifests()).toEqual([]);

    server.process.kill('SIGTERM');
    const exit = await server.exited;
    expect({ code: exit.code, signal: exit.signal, stderr: server.stderr() }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(manifests()).toHaveLength(1);

    const again = await startServer(data);
    try {
      expect((await request(again, 'POST', '/collections/docs/count', {})).json).toEqual({ count: 200 });
      const d17 = await request(again, 'GET', '/collections/docs/documents/d17');
      expect(d17.json).toEqual({ id: 'd17', vector: documents[17]!.vector, text: 'text 17' });
      const describe = await request(again, 'GET', '/collections/docs');
      expect(describe.json).toMatchObject({ count: 200, version: 1 });
    } finally {
      again.process.kill('SIGTERM');
      expect((await again.exited).code).toBe(0);
    }
  }, TIMEOUT);

  it('a second server on the same data directory exits with DATABASE_LOCKED', async () => {
    const data = dataDir();
    const server = await startServer(data);
    try {
      const second = spawnServer(data);
      const exit = await second.exited;
      expect(exit.code).toBe(1);
      expect(second.stderr()).toMatch(/DATABASE_LOCKED/);
      // The first one still answers.
      expect((await request(server, 'GET', '/health/ready')).json).toEqual({ status: 'ready' });
    } finally {
      server.process.kill('SIGTERM');
      await server.exited;
    }
  }, TIMEOUT);
});
