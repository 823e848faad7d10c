/**
 * SegmentServer, the host of HNSW segments on a worker (or the calling
 * thread): searches are answered between slices of writes, a dropped
 * segment's queued writes are discarded, and a save queued before the drop
 * still runs; a save holds later changes back only while the graph is written.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import hnswlib from 'hnswlib-node';
import { describe, expect, it } from 'vitest';
import { SegmentServer, type SegmentSpec } from '../../../../src/core/graph/hosting/segment-server.js';
import { randomVectors } from '../../../fixtures/random.js';

const DIM = 8;
const spec: SegmentSpec = { dimension: DIM, metric: 'l2', params: { m: 8, efConstruction: 50, ef: 32 } };
const COUNT = 3_000;
const vectors = randomVectors(COUNT, DIM, 5);
const labels = Int32Array.from({ length: COUNT }, (_, i) => i);
const query = vectors.slice(0, DIM);

/** A server hosting `segment`, with the first `rows` vectors written to it. */
async function hosting(segment: number, rows: number): Promise<SegmentServer> {
  const server = new SegmentServer(0.2);
  await server.handle({ type: 'create', segment, spec, capacity: 16 });
  await server.handle({ type: 'write', segment, labels: labels.subarray(0, rows), vectors: vectors.slice(0, rows * DIM) });
  return server;
}

describe('SegmentServer', () => {
  it('answers a search while a large write is still being applied in slices', async () => {
    const server = new SegmentServer(0.2);
    await server.handle({ type: 'create', segment: 1, spec, capacity: 16 });
    const write = server.handle({ type: 'write', segment: 1, labels, vectors: vectors.slice() });
    expect(server.stats.queued).toBe(1);
    // Answered from the part of the graph built so far, without waiting for the write.
    server.search({ type: 'search', segment: 1, query, k: 5, ef: 32 });
    expect(server.stats.queued).toBe(1);
    await write;
    expect(server.stats.queued).toBe(0);
    const done = server.search({ type: 'search', segment: 1, query, k: 1, ef: 32 });
    expect(Array.from(done.labels)).toEqual([0]);
    // What the search took here travels with the hits: the planner learns the graph's cost from it.
    expect(done.searchNs).toBeGreaterThan(0);
  });

  it('discards a dropped segment\'s queued writes, answers its late searches with nothing, and still runs a save queued before the drop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-segment-'));
    try {
      const server = await hosting(7, 100);
      const file = join(dir, 'seg.bin');
      const save = server.handle({ type: 'save', segment: 7, file });
      const big = server.handle({ type: 'write', segment: 7, labels: labels.subarray(100), vectors: vectors.slice(100 * DIM) });
      expect(server.stats.queued).toBe(2);
      await server.handle({ type: 'drop', segment: 7 });
      // The big write left the queue at once; the save (already running) stays.
      expect(server.stats.queued).toBe(1);
      await expect(big).resolves.toBeNull();
      const saved = await save;
      expect(saved).toMatchObject({ bytes: statSync(file).size });
      expect(server.search({ type: 'search', segment: 7, query, k: 5, ef: 32 }).labels).toHaveLength(0);
      expect(() => server.search({ type: 'search', segment: 8, query, k: 5, ef: 32 })).toThrow(/no segment 8/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets changes sent after a save run while the file is checksummed and synced, and saves none of them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-segment-'));
    try {
      const server = await hosting(3, 100);
      const file = join(dir, 'seg.bin');
      const order: string[] = [];
      const save = server.handle({ type: 'save', segment: 3, file }).then((saved) => {
        order.push('save');
        return saved;
      });
      const later = server.handle({ type: 'write', segment: 3, labels: labels.subarray(100, 101), vectors: vectors.slice(100 * DIM, 101 * DIM) })
        .then(() => order.push('later write'));
      const [saved] = await Promise.all([save, later]);
      // The later write was applied before the save replied: it did not wait for the checksum and fsync...
      expect(order).toEqual(['later write', 'save']);
      // ...yet the file holds exactly the graph as of the save, and the reply describes that file.
      const bytes = readFileSync(file);
      expect(saved).toEqual({ bytes: bytes.length, crc32: crc32(bytes) });
      const loaded = new hnswlib.HierarchicalNSW('l2', DIM);
      await loaded.readIndex(file);
      expect(loaded.getCurrentCount()).toBe(100);
      expect(server.search({ type: 'search', segment: 3, query: vectors.slice(100 * DIM, 101 * DIM), k: 1, ef: 32 }).labels).toEqual([100]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
