/**
 * What a segmented graph sends to hosts on other threads. A message copies
 * the whole buffer behind a typed array, so a search must send a query (and
 * an allowed set) that owns its buffer: a query that was a row of a larger
 * array cost every search a copy of all of it on each worker (200 µs a
 * search at 500 x 128 queries, issue 17).
 */
import { describe, expect, it } from 'vitest';
import type { SegmentReply, SegmentRequest } from '../../../src/core/graph/hosting/segment-server.js';
import { GRAPH_FIXED_BYTES } from '../../../src/core/graph/hnsw-index.js';
import { SegmentedGraph, type SegmentHosting } from '../../../src/core/graph/segmented-graph.js';

const DIM = 8;

function recordingHosting(): { hosting: SegmentHosting; searches: Extract<SegmentRequest, { type: 'search' }>[] } {
  const searches: Extract<SegmentRequest, { type: 'search' }>[] = [];
  const host = {
    call(request: SegmentRequest): Promise<SegmentReply> {
      if (request.type === 'search') {
        searches.push(request);
        return Promise.resolve({ labels: [], scores: [] });
      }
      return Promise.resolve(null);
    },
  };
  return { hosting: { host: () => host, inline: false }, searches };
}

function graph(hosting: SegmentHosting): SegmentedGraph {
  const spec = { dimension: DIM, metric: 'l2' as const, params: { m: 8, efConstruction: 16, ef: 16 } };
  const made = SegmentedGraph.create(spec, hosting, 2, 100, (error) => {
    throw error;
  });
  // A graph never written to has no segments on its hosts to ask (see the next describe).
  made.add(0, new Float32Array(DIM));
  return made;
}

describe('SegmentedGraph on worker hosts', () => {
  it('sends a query that is a view into a larger array as a copy of just its values', async () => {
    const { hosting, searches } = recordingHosting();
    const rows = Float32Array.from({ length: 50 * DIM }, (_, i) => i);
    const query = rows.subarray(7 * DIM, 8 * DIM);
    const allowAll = new Uint32Array(64).fill(0xffffffff);
    await graph(hosting).search(query, 5, 16, allowAll.subarray(0, 4));
    expect(searches).toHaveLength(2);
    for (const sent of searches) {
      expect(sent.query.buffer.byteLength).toBe(DIM * 4);
      expect(Array.from(sent.query)).toEqual(Array.from(query));
      expect(sent.allow!.buffer.byteLength).toBe(4 * 4);
    }
    // Both segments get the same copy: one copy a search, not one a segment.
    expect(searches[0]!.query).toBe(searches[1]!.query);
  });

  it('sends a query that owns its buffer as it is', async () => {
    const { hosting, searches } = recordingHosting();
    const query = Float32Array.from({ length: DIM }, (_, i) => i);
    await graph(hosting).search(query, 5, 16);
    expect(searches.map((sent) => sent.query)).toEqual([query, query]);
    expect(searches[0]!.query).toBe(query);
  });
});

describe('hits on deletes the segments have not applied', () => {
  it('fetches one more hit per outstanding delete and marks the answer stale, leaving the hits to the caller to check', async () => {
    const asked: number[] = [];
    const host = {
      call(request: SegmentRequest): Promise<SegmentReply> {
        if (request.type === 'search') {
          asked.push(request.k);
          // A segment that has not applied the delete of label 3 still finds it.
          return Promise.resolve({ labels: [3, 5], scores: [-1, -2] });
        }
        // Deletes stay unapplied until the test lets them through.
        return request.type === 'remove' ? new Promise<SegmentReply>(() => {}) : Promise.resolve(null);
      },
    };
    const spec = { dimension: DIM, metric: 'l2' as const, params: { m: 8, efConstruction: 16, ef: 16 } };
    const made = SegmentedGraph.create(spec, { host: () => host, inline: false }, 1, 100, (error) => {
      throw error;
    });
    made.add(3, new Float32Array(DIM));
    made.add(5, new Float32Array(DIM));
    await made.backlogBelow(1);
    expect(await made.search(new Float32Array(DIM), 2, 16)).toEqual({ labels: [3, 5], scores: [-1, -2] });

    made.remove(3);
    made.flush();
    expect(await made.search(new Float32Array(DIM), 2, 16)).toEqual({ labels: [3, 5], scores: [-1, -2], stale: true });
    expect(asked).toEqual([2, 3]);
  });
});

describe('a graph never written to', () => {
  it('makes no segment on its hosts until its first write: an empty collection holds no hnswlib graph (2.5 MiB each)', async () => {
    const requests: SegmentRequest['type'][] = [];
    const host = {
      call(request: SegmentRequest): Promise<SegmentReply> {
        requests.push(request.type);
        return Promise.resolve(request.type === 'search' ? { labels: [], scores: [] } : null);
      },
    };
    const spec = { dimension: DIM, metric: 'l2' as const, params: { m: 8, efConstruction: 16, ef: 16 } };
    const empty = SegmentedGraph.create(spec, { host: () => host, inline: false }, 2, 100, (error) => {
      throw error;
    });
    expect(await empty.search(new Float32Array(DIM), 5, 16)).toEqual({ labels: [], scores: [] });
    expect(await empty.relayout('/nonexistent')).toEqual([]);
    empty.remove(3);
    await empty.idle();
    expect({ requests, fixedBytes: empty.fixedBytes }).toEqual({ requests: [], fixedBytes: 0 });

    empty.add(1, new Float32Array(DIM));
    await empty.idle();
    expect(requests).toEqual(['create', 'create', 'write']);
    expect(empty.fixedBytes).toBe(2 * GRAPH_FIXED_BYTES);

    // A snapshot needs a file per segment: saving an unwritten graph makes its (empty) segments first.
    const saved = SegmentedGraph.create(spec, { host: () => host, inline: false }, 2, 100, () => {});
    requests.length = 0;
    await saved.save(['a', 'b']);
    expect(requests).toEqual(['create', 'create', 'save', 'save']);
  });
});
