/**
 * SegmentServer, the host of HNSW segments on a worker (or the calling
 * thread): searches are answered between slices of writes, a dropped
 * segment's queued writes are discarded, and a save queued before the drop
 * still runs.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SegmentServer, type SegmentSpec } from '../../src/core/segment-server.js';
import { randomVectors } from '../fixtures/random.js';

const DIM = 8;
const spec: SegmentSpec = { dimension: DIM, metric: 'l2', params: { m: 8, efConstruction: 50, ef: 32 } };
const COUNT = 3_000;
const vectors = randomVectors(COUNT, DIM, 5);
const labels = Int32Array.from({ length: COUNT }, (_, i) => i);
const query = vectors.slice(0, DIM);

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
  });

  it('discards a dropped segment\'s queued writes, answers its late searches with nothing, and still runs a save queued before the drop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-segment-'));
    try {
      const server = new SegmentServer(0.2);
      await server.handle({ type: 'create', segment: 7, spec, capacity: 16 });
      await server.handle({ type: 'write', segment: 7, labels: labels.subarray(0, 100), vectors: vectors.slice(0, 100 * DIM) });
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
});
