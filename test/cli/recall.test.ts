/**
 * The acceptance check: siftsmall imported from .fvecs and searched
 * from the CLI code paths (`quiver import`, `quiver search --vector-file
 * --all --json`) reproduces recall@10 >= 0.95 against its ground truth.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readIvecs } from '../../src/io/vecs.js';
import { sharedData } from '../fixtures/shared-data.js';
import { jsonLines, quiver, tempDir } from './helpers.js';

const K = 10;
const RECALL_FLOOR = 0.95;

it('siftsmall through quiver import and quiver search: recall@10 >= 0.95', async () => {
  const base = sharedData('siftsmall/siftsmall_base.fvecs');
  const queries = sharedData('siftsmall/siftsmall_query.fvecs');
  const truth = readIvecs(sharedData('siftsmall/siftsmall_groundtruth.ivecs'));
  const data = join(tempDir(), 'data');

  const imported = await quiver(['import', 'sift', base, '--data', data, '--metric', 'l2', '--json']);
  expect(imported.code, imported.stderr).toBe(0);
  expect(JSON.parse(imported.stdout)).toMatchObject({ imported: 10_000, dimension: 128, rejected: 0 });

  // As the planner chooses, and forced onto the HNSW graph (the approximate path must hold the floor too).
  for (const plan of [[], ['--hnsw']]) {
    const searched = await quiver(['search', 'sift', '--data', data, '--vector-file', queries, '--all', '--k', String(K), '--json', ...plan]);
    expect(searched.code, searched.stderr).toBe(0);
    const results = jsonLines(searched.stdout) as { query: number; hits: { id: string }[] }[];
    expect(results.map((result) => result.query)).toEqual(Array.from({ length: truth.count }, (_, i) => i));

    let found = 0;
    for (const { query, hits } of results) {
      const expected = new Set(Array.from(truth.data.subarray(query * truth.dimension, query * truth.dimension + K), String));
      found += hits.filter((hit) => expected.has(hit.id)).length;
    }
    const recall = found / (K * truth.count);
    expect(recall, plan.join(' ') || 'planner').toBeGreaterThanOrEqual(RECALL_FLOOR);
  }
});
