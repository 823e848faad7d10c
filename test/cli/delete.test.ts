/** `quiver delete` and `quiver drop`: what they remove, and what they refuse without --all or --yes. */
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/index.js';
import { quiver, silent, tempDir, vectorOf, writeLines } from './helpers.js';

const DIMENSION = 4;
let data: string;

beforeEach(async () => {
  const dir = tempDir('quiver-cli-delete-');
  data = join(dir, 'data');
  const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: `d${i}`, vector: vectorOf(i, DIMENSION), text: `doc ${i}`, group: i % 3 }));
  const result = await quiver(['import', 'docs', writeLines(join(dir, 'docs.jsonl'), lines), '--data', data]);
  if (result.code !== 0) throw new Error(result.stderr);
});

async function state(): Promise<{ names: string[]; count: number | undefined; ids: string[] }> {
  const db = await openDatabase({ path: data, logger: silent });
  try {
    const names = db.listCollections().map((entry) => entry.name);
    if (!names.includes('docs')) return { names, count: undefined, ids: [] };
    const docs = db.collection('docs');
    const page = await docs.list({ limit: 100, include: [] });
    return { names, count: docs.count, ids: page.documents.map((doc) => doc.id).sort() };
  } finally {
    await db.close();
  }
}

describe('quiver delete', () => {
  it('deletes by id, skipping ids that do not exist', async () => {
    const result = await quiver(['delete', 'docs', '--id', 'd1', '--id', 'd2', '--id', 'nope', '--data', data]);
    expect([result.code, result.stdout]).toEqual([0, 'deleted 2 documents (version 2)\n']);
    const { count, ids } = await state();
    expect(count).toBe(28);
    expect(ids).not.toContain('d1');
  });

  it('deletes by filter, as JSON', async () => {
    const result = await quiver(['delete', 'docs', '--filter', '{"group": 0}', '--data', data, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ deleted: 10, version: 2 });
    expect((await state()).count).toBe(20);
  });

  it("refuses the filter '{}' without --all and deletes everything with it", async () => {
    const refused = await quiver(['delete', 'docs', '--filter', '{}', '--data', data]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/INVALID_FILTER.*all: true/);
    expect((await state()).count).toBe(30);
    const all = await quiver(['delete', 'docs', '--filter', '{}', '--all', '--data', data]);
    expect([all.code, all.stdout]).toEqual([0, 'deleted 30 documents (version 2)\n']);
    expect((await state()).count).toBe(0);
  });

  it('rejects --id with --filter, neither, and --all without --filter, as usage errors', async () => {
    for (const args of [['--id', 'd1', '--filter', '{"group": 1}'], [], ['--id', 'd1', '--all']]) {
      const result = await quiver(['delete', 'docs', ...args, '--data', data]);
      expect(result.code, args.join(' ')).toBe(2);
    }
    expect((await state()).count).toBe(30);
  });
});

describe('quiver drop', () => {
  it('asks for --yes, naming what would be lost, then drops the collection', async () => {
    const refused = await quiver(['drop', 'docs', '--data', data]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("dropping 'docs' deletes 30 documents for good: pass --yes");
    expect((await state()).names).toEqual(['docs']);
    const dropped = await quiver(['drop', 'docs', '--yes', '--data', data]);
    expect([dropped.code, dropped.stdout]).toEqual([0, "dropped collection 'docs'\n"]);
    expect((await state()).names).toEqual([]);
  });

  it('says when the collection does not exist', async () => {
    const result = await quiver(['drop', 'nope', '--yes', '--data', data]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('COLLECTION_NOT_FOUND');
  });
});
