import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Collection } from '../../../src/index.js';
import { BATCH_SIZE, deletedIds, idOf, isDeleteBatch, vectorOf } from '../../fixtures/crash-workload.js';
import { rng } from '../../fixtures/random.js';

const CHILD = fileURLToPath(new URL('../../fixtures/ingest-child.ts', import.meta.url));
const KILLS = 12;
const silent = { info: () => {}, warn: () => {}, error: () => {} };

/** Runs the child from `first`, kills it with SIGKILL after `delayMs` of acknowledged writes; returns the acknowledged batches. */
function ingestUntilKilled(path: string, first: number, delayMs: number, snapshotEvery: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, String(first), String(snapshotEvery)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: number[] = [];
    let buffered = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const match = /^ACK (\d+)$/.exec(line);
        if (match) acked.push(Number(match[1]));
      }
      timer ??= setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child exited with ${code} before it was killed: ${stderr}`));
    });
  });
}

/** What must be stored after the acknowledged batches: id -> batch and index. */
function expectedDocuments(lastBatch: number): Map<string, Float32Array> {
  const expected = new Map<string, Float32Array>();
  for (let batch = 0; batch <= lastBatch; batch++) {
    if (isDeleteBatch(batch)) for (const id of deletedIds(batch)) expected.delete(id);
    else for (let i = 0; i < BATCH_SIZE; i++) expected.set(idOf(batch, i), vectorOf(batch, i));
  }
  return expected;
}

async function allDocuments(collection: Collection): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  let after: string | undefined;
  do {
    const page = await collection.list({ include: ['vector'], limit: 1000, ...(after ? { after } : {}) });
    for (const doc of page.documents) out.set(doc.id, doc.vector!);
    after = page.next ?? undefined;
  } while (after);
  return out;
}

describe('crash safety', () => {
  it(`loses no acknowledged write across ${KILLS} SIGKILLs at random moments`, async () => {
    const path = mkdtempSync(join(tmpdir(), 'quiver-crash-'));
    const random = rng(2024);
    let nextBatch = 0;
    try {
      for (let run = 0; run < KILLS; run++) {
        const acked = await ingestUntilKilled(path, nextBatch, 50 + Math.floor(random() * 400), 2 + (run % 5));
        expect(acked.length).toBeGreaterThan(0);
        const lastAcked = acked[acked.length - 1]!;

        const db = await openDatabase({ path, logger: silent });
        const docs = db.collection('docs');
        const stored = await allDocuments(docs);
        // The batch in flight at the kill may have committed (unacknowledged but whole) or not at all.
        const withInFlight = expectedDocuments(lastAcked + 1);
        const withoutInFlight = expectedDocuments(lastAcked);
        const matches = (expected: Map<string, Float32Array>) =>
          expected.size === stored.size && [...expected].every(([id, vector]) => stored.has(id) && stored.get(id)!.every((x, d) => x === vector[d]));
        const committedInFlight = matches(withInFlight);
        expect(committedInFlight || matches(withoutInFlight)).toBe(true);
        expect(docs.count).toBe(stored.size);

        // The indexes agree with the store: exact search equals a fresh computation,
        // and the graph finds every stored vector (spot check).
        const query = vectorOf(999_999, run);
        const hits = await docs.search({ vector: query, k: 10, exact: true, include: [] });
        const reference = [...stored]
          .map(([id, vector]) => ({ id, score: -vector.reduce((sum, x, d) => sum + (x - query[d]!) ** 2, 0) }))
          .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
          .slice(0, 10);
        expect(hits.map((hit) => hit.score)).toEqual(reference.map((r) => Math.fround(r.score)).map((s) => expect.closeTo(s, 3)));
        expect(new Set(hits.map((hit) => hit.id))).toEqual(new Set(reference.map((r) => r.id)));
        const ids = [...stored.keys()];
        for (let probe = 0; probe < 20; probe++) {
          const id = ids[Math.floor(random() * ids.length)]!;
          const [top] = await docs.search({ vector: stored.get(id)!, k: 1, exact: false, include: [] });
          expect(top!.score).toBe(0);
        }
        await db.close();
        nextBatch = (committedInFlight ? lastAcked + 1 : lastAcked) + 1;
      }
    } finally {
      rmSync(path, { recursive: true, force: true });
    }
  }, 180_000);
});
