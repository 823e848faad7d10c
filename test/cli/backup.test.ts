/**
 * quiver backup, restore and export, end to end: SciFact imported from
 * JSONL, backed up through a running server while a writer writes to it,
 * restored into a fresh directory; the exports of the source and of the
 * copy are the same bytes, and importing an export and exporting again
 * gives the same bytes once more (vectors bit for bit, -0 included).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { QuiverClient } from '../../src/client/index.js';
import { openDatabase, type Database } from '../../src/index.js';
import { buildApp, type AppOptions } from '../../src/server/app.js';
import { rng } from '../fixtures/random.js';
import { scifactDocuments } from '../fixtures/scifact.js';
import { quiver, silent, tempDir, writeLines } from './helpers.js';

const DIMENSION = 16;

interface Live {
  db: Database;
  url: string;
  close(): Promise<void>;
}

const running: Live[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.close();
});

/** A server over the data directory `data` on 127.0.0.1, a free port. */
async function startServer(data: string, options: AppOptions = {}): Promise<Live> {
  const db = await openDatabase({ path: data, logger: silent });
  const { app } = await buildApp(db, { rateLimitMax: 0, ...options });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  let closed = false;
  const live = {
    db,
    url,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await db.close();
    },
  };
  running.push(live);
  return live;
}

const base64 = (vector: Float32Array) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');

/** SciFact as a user's JSONL file: base64 vectors (exact), the text, other fields as metadata. */
function scifactFile(dir: string, count: number): { file: string; corpus: ReturnType<typeof scifactDocuments> } {
  const corpus = scifactDocuments(count, DIMENSION);
  const file = writeLines(join(dir, 'scifact.jsonl'), corpus.map((d) => JSON.stringify({ id: d.id, vector: base64(d.vector), text: d.text, ...d.metadata })));
  return { file, corpus };
}

describe('quiver backup, restore and export', () => {
  it('round trip: a backup taken through a server while a writer runs, restored, exports the same bytes as the source', async () => {
    const dir = tempDir();
    const source = join(dir, 'source');
    const { file, corpus } = scifactFile(dir, 2000);
    const imported = await quiver(['import', 'scifact', file, '--data', source, '--metric', 'l2', '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ imported: corpus.length, rejected: 0 });

    const backups = join(dir, 'backups');
    const server = await startServer(source, { backupDir: backups });
    // The writer: its own collection over REST, every version it makes recorded with the ids then stored.
    const client = new QuiverClient({ url: server.url });
    const live = await client.createCollection('live', { dimension: 4, metric: 'l2' });
    const states = new Map<number, Map<string, number[]>>();
    const stored = new Map<string, number[]>();
    const next = rng(3);
    let stop = false;
    let n = 0;
    const writer = (async () => {
      while (!stop) {
        let version: number;
        if (stored.size > 20 && next() < 0.3) {
          const ids = [...stored.keys()].slice(0, 5);
          version = (await live.delete(ids)).version;
          for (const id of ids) stored.delete(id);
        } else {
          const batch = Array.from({ length: 10 }, () => ({ id: `w${n++}`, vector: [next(), next(), next(), 1] }));
          version = (await live.upsert(batch)).version;
          for (const d of batch) stored.set(d.id, Array.from(Float32Array.from(d.vector)));
        }
        states.set(version, new Map(stored));
      }
    })();
    while (states.size < 5) await sleep(1);
    const backup = await quiver(['backup', '--url', server.url, '--json']);
    const atBackup = states.size;
    while (states.size < atBackup + 5) await sleep(1);
    stop = true;
    await writer;
    await client.close();
    await server.close();
    expect(backup.code, backup.stderr).toBe(0);
    const written = JSON.parse(backup.stdout) as { name: string; path: string; collections: { name: string; version: number; snapshot: boolean }[] };
    expect(written.path).toBe(join(backups, written.name));
    expect(written.collections.map((c) => c.name)).toEqual(['live', 'scifact']);
    const liveVersion = written.collections[0]!.version;
    expect(states.has(liveVersion)).toBe(true);
    expect(Math.max(...states.keys())).toBeGreaterThan(liveVersion);

    const restored = join(dir, 'restored');
    const restore = await quiver(['restore', written.path, '--data', restored, '--json']);
    expect(restore.code, restore.stderr).toBe(0);
    expect(JSON.parse(restore.stdout)).toMatchObject({ collections: written.collections });

    // The SciFact collection: the source's export and the copy's are the same bytes.
    const fromSource = await quiver(['export', 'scifact', '--data', source]);
    expect(fromSource.code, fromSource.stderr).toBe(0);
    const out = join(dir, 'restored.jsonl');
    const fromCopy = await quiver(['export', 'scifact', '--data', restored, '--out', out]);
    expect(fromCopy.code, fromCopy.stderr).toBe(0);
    expect(fromCopy.stderr).toContain(`2,000 documents of 'scifact' written to ${out}`);
    expect(readFileSync(out, 'utf8')).toBe(fromSource.stdout);
    const lines = fromSource.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { id: string; vector: string; text: string; metadata: Record<string, unknown> });
    expect(lines).toHaveLength(corpus.length);
    for (const [i, line] of lines.entries()) {
      const d = corpus[i]!;
      expect(line.id).toBe(d.id);
      expect(Buffer.from(line.vector, 'base64').equals(Buffer.from(d.vector.buffer, d.vector.byteOffset, d.vector.byteLength)), d.id).toBe(true);
      expect(line.text).toBe(d.text);
      expect(line.metadata).toEqual(d.metadata);
    }

    // Import reads an export back exactly: exported again, the same bytes.
    const fresh = join(dir, 'fresh');
    const reimport = await quiver(['import', 'scifact', out, '--data', fresh, '--metric', 'l2', '--json']);
    expect(reimport.code, reimport.stderr).toBe(0);
    const again = await quiver(['export', 'scifact', '--data', fresh]);
    expect(again.stdout).toBe(fromSource.stdout);

    // The collection the writer wrote: in the copy exactly as it stood at the version the backup names.
    const liveExport = await quiver(['export', 'live', '--data', restored, '--vectors', 'json']);
    const liveDocuments = new Map(liveExport.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { id: string; vector: number[] }).map((d) => [d.id, d.vector]));
    expect(liveDocuments).toEqual(states.get(liveVersion));
  }, 120_000);

  it('backs up a local data directory, and refuses what would mix with other files', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const { file } = scifactFile(dir, 50);
    expect((await quiver(['import', 'scifact', file, '--data', data])).code).toBe(0);
    const backup = await quiver(['backup', join(dir, 'backup'), '--data', data]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(/^backed up data directory .*: 1 collection, .* in /);
    // The import closed with a snapshot, which the backup copied.
    expect(backup.stdout).toMatch(/scifact\s+1\s+yes/);

    const again = await quiver(['backup', join(dir, 'backup'), '--data', data]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/INVALID_ARGUMENT: .*backup directory.*empty or does not exist/);
    const none = await quiver(['backup', '--data', data]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/name the directory to back up into/);
    const both = await quiver(['backup', join(dir, 'x'), '--url', 'http://127.0.0.1:9']);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/never one a client names/);

    const restore = await quiver(['restore', join(dir, 'backup'), '--data', data]);
    expect(restore.code).toBe(1);
    expect(restore.stderr).toMatch(/INVALID_ARGUMENT: .*restore directory/);
    const restored = await quiver(['restore', join(dir, 'backup'), '--data', join(dir, 'restored')]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/^restored .* into .*restored: 1 collection/);

    const out = join(dir, 'out.jsonl');
    writeFileSync(out, 'keep me');
    const taken = await quiver(['export', 'scifact', '--data', data, '--out', out]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/out\.jsonl exists/);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    const missing = await quiver(['export', 'nope', '--data', data, '--out', join(dir, 'nope.jsonl')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/COLLECTION_NOT_FOUND/);
    expect(existsSync(join(dir, 'nope.jsonl'))).toBe(false);

    for (const command of ['backup', 'restore', 'export']) {
      const help = await quiver([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^usage: quiver ${command} `));
    }
  });

  it('export then import gives back every document exactly, edge cases included', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const edge = [
      { id: 'minus-zero', vector: Float32Array.of(-0, 1, 0, -1), text: '' },
      { id: 'tiny', vector: Float32Array.of(1.401298464324817e-45, -3.4028234663852886e38, 0.1, 1 / 3), metadata: {} },
      { id: 'nested', vector: Float32Array.of(1, 2, 3, 4), metadata: JSON.parse('{"metadata": {"id": "x", "vector": [1]}, "text": "not the text", "2": "integer key", "__proto__": "own"}') as Record<string, unknown> },
      { id: 'ünïcode ✓ "quoted"\n', vector: Float32Array.of(4, 3, 2, 1), text: 'line\nbreak \u2028 and ✓' },
    ];
    const db = await openDatabase({ path: data, logger: silent });
    await (await db.createCollection('edge', { dimension: 4, metric: 'l2' })).upsert(edge.map((d) => ({ ...d, metadata: d.metadata === undefined ? undefined : JSON.parse(JSON.stringify(d.metadata)) })));
    await db.close();
    const first = await quiver(['export', 'edge', '--data', data, '--out', join(dir, 'edge.jsonl')]);
    expect(first.code, first.stderr).toBe(0);
    const imported = await quiver(['import', 'edge', join(dir, 'edge.jsonl'), '--data', join(dir, 'fresh'), '--metric', 'l2']);
    expect(imported.code, imported.stderr).toBe(0);
    const copy = await openDatabase({ path: join(dir, 'fresh'), logger: silent });
    const original = await openDatabase({ path: data, logger: silent });
    try {
      for (const d of edge) {
        const [want, got] = [await original.collection('edge').get(d.id), await copy.collection('edge').get(d.id)];
        expect(got, d.id).toEqual(want);
        expect(Buffer.from(got!.vector!.buffer).equals(Buffer.from(want!.vector!.buffer)), d.id).toBe(true);
      }
      expect(Object.is((await copy.collection('edge').get('minus-zero'))!.vector![0], -0)).toBe(true);
    } finally {
      await copy.close();
      await original.close();
    }
    const again = await quiver(['export', 'edge', '--data', join(dir, 'fresh')]);
    expect(again.stdout).toBe(readFileSync(join(dir, 'edge.jsonl'), 'utf8'));
  });

  it('through --url: backup needs the server\'s backup directory, and export equals the local one', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const { file } = scifactFile(dir, 300);
    expect((await quiver(['import', 'scifact', file, '--data', data])).code).toBe(0);
    // JSON numbers carry every float32 but the sign of -0: compared with --vectors json on both sides.
    const local = await quiver(['export', 'scifact', '--data', data, '--vectors', 'json']);
    const server = await startServer(data);
    const remote = await quiver(['export', 'scifact', '--url', server.url, '--vectors', 'json']);
    expect(remote.code, remote.stderr).toBe(0);
    expect(remote.stdout).toBe(local.stdout);
    const refused = await quiver(['backup', '--url', server.url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/NOT_CONFIGURED: .*--backup-dir/);
  });
});
