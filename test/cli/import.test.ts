import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/index.js';
import { importFile, type ImportSummary } from '../../src/cli/import.js';
import type { TargetDatabase } from '../../src/cli/target.js';
import { jsonLines, quiver, silent, storedDocuments, tempDir, vectorOf, writeLines, writeNpy, writeVecs } from './helpers.js';

const DIMENSION = 8;

function jsonlDocs(count: number, dimension = DIMENSION): string[] {
  return Array.from({ length: count }, (_, i) => JSON.stringify({ id: `d${i}`, vector: vectorOf(i, dimension), text: `document ${i}`, group: i % 3 }));
}

function summaryOf(stdout: string): ImportSummary {
  const [summary] = jsonLines(stdout) as ImportSummary[];
  return summary!;
}

/** The stored documents equal `count` documents of jsonlDocs, exactly. */
async function expectJsonlDocs(data: string, count: number, collection = 'docs'): Promise<void> {
  const stored = await storedDocuments(data, collection);
  expect(stored.size).toBe(count);
  for (let i = 0; i < count; i++) {
    const document = stored.get(`d${i}`);
    expect(document, `d${i}`).toBeDefined();
    expect(Array.from(document!.vector!)).toEqual(Array.from(Float32Array.from(vectorOf(i, DIMENSION))));
    expect(document!.text).toBe(`document ${i}`);
    expect(document!.metadata).toEqual({ group: i % 3 });
  }
}

describe('quiver import: formats', () => {
  it('imports JSONL into a new collection whose dimension comes from the file', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const file = writeLines(join(dir, 'docs.jsonl'), jsonlDocs(25));
    const result = await quiver(['import', 'docs', file, '--data', data, '--batch', '10']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^docs: imported 25 of 25 documents read from docs\.jsonl/);
    expect(result.stderr).toMatch(/created collection 'docs' \(dimension 8, metric cosine\)/);
    await expectJsonlDocs(data, 25);
  });

  it('prints one parseable JSON summary on stdout with --json; progress goes to stderr', async () => {
    const dir = tempDir();
    const file = writeLines(join(dir, 'docs.jsonl'), jsonlDocs(30));
    const result = await quiver(['import', 'docs', file, '--data', join(dir, 'data'), '--batch', '10', '--metric', 'l2', '--json']);
    expect(result.code).toBe(0);
    const summary = summaryOf(result.stdout);
    expect(summary).toMatchObject({
      collection: 'docs', format: 'jsonl', created: true, dimension: DIMENSION, metric: 'l2',
      read: 30, imported: 30, skipped: 0, rejected: 0, rejections: [], stopped: null,
    });
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^progress: 10 docs, \d+\.\d% of the file, [\d,]+ docs\/s/m);
  });

  it('imports CSV with a vector column, text and typed metadata', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const file = writeLines(join(dir, 'docs.csv'), ['key,embedding,body,year', 'a,"[1, 0, 0]",first,2020', 'b,0 1 0,second,2021', 'c,"0;0;1",third,']);
    const result = await quiver(['import', 'docs', file, '--data', data, '--id-field', 'key', '--vector-field', 'embedding', '--text-field', 'body', '--metric', 'dot']);
    expect(result.code, result.stderr).toBe(0);
    const stored = await storedDocuments(data, 'docs');
    expect([...stored.values()].map((d) => ({ ...d, vector: Array.from(d.vector!) }))).toEqual([
      { id: 'a', vector: [1, 0, 0], text: 'first', metadata: { year: 2020 } },
      { id: 'b', vector: [0, 1, 0], text: 'second', metadata: { year: 2021 } },
      { id: 'c', vector: [0, 0, 1], text: 'third' },
    ]);
  });

  it('imports fvecs, bvecs, ivecs and npy with row numbers as ids', async () => {
    const dir = tempDir();
    const rows = Array.from({ length: 12 }, (_, i) => vectorOf(i, 4));
    const small = Array.from({ length: 12 }, (_, i) => [i + 1, 2, 3, (i * 5) % 7]);
    const files = {
      fvecs: [writeVecs(join(dir, 'x.fvecs'), rows), rows],
      bvecs: [writeVecs(join(dir, 'x.bvecs'), small, 'bvecs'), small],
      ivecs: [writeVecs(join(dir, 'x.ivecs'), small.map((r) => r.map((x) => 0 - x)), 'ivecs'), small.map((r) => r.map((x) => 0 - x))],
      npy: [writeNpy(join(dir, 'x.npy'), rows), rows],
    } as const;
    for (const [name, [file, expected]] of Object.entries(files)) {
      const data = join(dir, `data-${name}`);
      const result = await quiver(['import', name, file, '--data', data, '--metric', 'l2', '--batch', '5', '--json']);
      expect(result.code, `${name}: ${result.stderr}`).toBe(0);
      expect(summaryOf(result.stdout)).toMatchObject({ format: name, imported: 12, dimension: 4 });
      const stored = await storedDocuments(data, name);
      expect([...stored.keys()].sort((a, b) => Number(a) - Number(b))).toEqual(expected.map((_, i) => String(i)));
      expected.forEach((vector, i) => expect(Array.from(stored.get(String(i))!.vector!), `${name} row ${i}`).toEqual(Array.from(Float32Array.from(vector))));
    }
  });

  it('imports JSONL without ids by line number (--row-ids), and gzip-compressed files', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const file = writeLines(join(dir, 'plain.jsonl.gz'), [JSON.stringify({ vector: [1, 2] }), JSON.stringify({ vector: [3, 4] })], { gzip: true });
    const result = await quiver(['import', 'docs', file, '--data', data, '--row-ids', '--metric', 'l2']);
    expect(result.code, result.stderr).toBe(0);
    expect([...(await storedDocuments(data, 'docs')).keys()]).toEqual(['0', '1']);
  });
});

describe('quiver import: malformed input', () => {
  const lines = [
    JSON.stringify({ id: 'd0', vector: [1, 2, 3] }),
    '{"id": "d1", "vector": [1, 2',
    JSON.stringify({ id: 'd2', vector: [1, 2] }),
    JSON.stringify({ id: 'd3', vector: [1, 'x', 3] }),
    JSON.stringify({ id: 'd4', vector: [0, 0, 0] }),
    JSON.stringify({ id: 'd5', vector: [4, 5, 6], metadata: { deep: { n: 1 } } }),
    JSON.stringify({ id: 'd6', vector: [7, 8, 9] }),
    JSON.stringify({ id: 'd7', vector: [1, 1, 1] }),
  ];

  it('reports every bad line with its number and field, imports the good ones, exits 3', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const file = writeLines(join(dir, 'bad.jsonl'), lines);
    const result = await quiver(['import', 'docs', file, '--data', data, '--batch', '2', '--json']);
    expect(result.code).toBe(3);
    const summary = summaryOf(result.stdout);
    expect(summary).toMatchObject({ read: 8, imported: 4, rejected: 4, stopped: null });
    expect(summary.rejections.map((r) => [r.line, r.field, r.code])).toEqual([
      [2, undefined, undefined],
      [3, 'vector', 'DIMENSION_MISMATCH'],
      [4, 'vector', 'INVALID_VECTOR'],
      [5, 'vector', 'INVALID_VECTOR'],
    ]);
    expect(result.stderr).toMatch(/^quiver: line 2: invalid JSON/m);
    expect(result.stderr).toMatch(/^quiver: Dimension mismatch at line 3, field 'vector': expected 3, got 2\./m);
    expect(result.stderr).toMatch(/^quiver: Invalid vector at line 5, field 'vector': a zero vector has no direction for cosine\./m);
    expect([...(await storedDocuments(data, 'docs')).keys()].sort()).toEqual(['d0', 'd5', 'd6', 'd7']);
  });

  it('rejects text that is not a string, with the field', async () => {
    const dir = tempDir();
    const file = writeLines(join(dir, 'bad.jsonl'), [JSON.stringify({ id: 'a', vector: [1, 2], text: 42 }), JSON.stringify({ id: 'b', vector: [1, 2] })]);
    const result = await quiver(['import', 'docs', file, '--data', join(dir, 'data'), '--json']);
    expect(result.code).toBe(3);
    expect(summaryOf(result.stdout).rejections).toEqual([
      { line: 1, field: 'text', code: 'INVALID_DOCUMENT', message: expect.stringMatching(/line 1, field 'text'/) as unknown },
    ]);
  });

  it('--strict stops at the first bad line: the lines before it are imported, nothing after', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const file = writeLines(join(dir, 'bad.jsonl'), [...jsonlDocs(5, 3), '{oops', ...jsonlDocs(8, 3).slice(5)]);
    const result = await quiver(['import', 'docs', file, '--data', data, '--batch', '2', '--strict']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^quiver: line 6: invalid JSON/m);
    expect(result.stdout).toMatch(/stopped at line 6 \(--strict\): nothing after it was imported/);
    expect([...(await storedDocuments(data, 'docs')).keys()].sort()).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
  });

  it.each([
    ['JSONL', 'docs.jsonl', (i: number) => (i === 2 ? '{oops' : JSON.stringify({ id: `d${i}`, vector: vectorOf(i, DIMENSION) })), []],
    ['CSV', 'docs.csv', (i: number) => `d${i},${i === 2 ? '1 two' : vectorOf(i, DIMENSION).join(' ')}`, ['id,vector']],
  ])('%s progress counts the lines read, not what the stream read ahead: a --strict stop near the start is not the whole file', async (_format, name, line, header) => {
    const dir = tempDir();
    // The third record is bad.
    const file = writeLines(join(dir, name), [...header, ...Array.from({ length: 200 }, (_, i) => line(i))]);
    const db = await openDatabase({ path: join(dir, 'data'), logger: silent });
    const size = readFileSync(file).length;
    const positions: number[] = [];
    const summary = await importFile(db, { collection: 'docs', file, batch: 2, strict: true }, { onProgress: ({ position }) => positions.push(position) });
    await db.close();
    expect(summary.stopped).toBe('strict');
    expect(summary.imported).toBe(2);
    // Two or three short lines of two hundred: a few percent of the file, never all of it.
    expect(positions.length).toBeGreaterThan(0);
    for (const position of positions) {
      expect(position).toBeGreaterThan(0);
      expect(position / size).toBeLessThan(0.05);
    }
  });

  it('reports a CSV row with a bad vector cell and keeps the rest', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const file = writeLines(join(dir, 'bad.csv'), ['id,vector', 'a,1 2', 'b,1 two', 'c,3 4']);
    const result = await quiver(['import', 'docs', file, '--data', data]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^quiver: line 3, field 'vector': element 1 is 'two', expected a number$/m);
    expect(result.stdout).toMatch(/rejected 1/);
    expect([...(await storedDocuments(data, 'docs')).keys()]).toEqual(['a', 'c']);
  });

  it('imports the whole records of a truncated fvecs file and names the truncated one', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const file = writeVecs(join(dir, 't.fvecs'), Array.from({ length: 7 }, (_, i) => vectorOf(i, 4)));
    writeFileSync(file, readFileSync(file).subarray(0, 7 * 20 - 3));
    const result = await quiver(['import', 'vecs', file, '--data', data, '--metric', 'l2', '--batch', '4', '--json']);
    expect(result.code).toBe(3);
    const summary = summaryOf(result.stdout);
    expect(summary).toMatchObject({ imported: 6, rejected: 1, stopped: 'unreadable' });
    expect(summary.rejections[0]).toMatchObject({ record: 6, message: expect.stringMatching(/^record 6: truncated: only 17 of its 20 bytes/) as unknown });
    expect((await storedDocuments(data, 'vecs')).size).toBe(6);
  });

  it('fails with a clear error, creating nothing, for an npy file of the wrong dtype', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const file = writeNpy(join(dir, 'x.npy'), [[1, 2]], { descr: '<i4' });
    const result = await quiver(['import', 'docs', file, '--data', data]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^quiver import: .*x\.npy: dtype '<i4' is not supported; expected little-endian float32/m);
    const db = await openDatabase({ path: data, logger: silent });
    expect(db.listCollections()).toEqual([]);
    await db.close();
  });

  it('fails with status 1 at the first JSONL record without the vector field, once, naming its fields', async () => {
    const dir = tempDir();
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ _id: `d${i}`, title: 't', text: 'words' }));
    const result = await quiver(['import', 'docs', writeLines(join(dir, 'corpus.jsonl'), lines), '--data', join(dir, 'data')]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/corpus\.jsonl: the first record \(line 1\) has no field 'vector' \(its fields: _id, title, text\); name the vector field with --vector-field, or import text and metadata only with --keyword-only$/m);
    // A later record without it is one rejected line, as any bad line.
    const mixed = writeLines(join(dir, 'mixed.jsonl'), [JSON.stringify({ id: 'a', vector: [1, 2] }), JSON.stringify({ id: 'b' })]);
    const later = await quiver(['import', 'docs', mixed, '--data', join(dir, 'data')]);
    expect([later.code, later.stderr]).toEqual([3, expect.stringMatching(/line 2, field 'vector': missing vector/) as unknown]);
  });

  it('fails with status 1 for a CSV header without the vector column, naming the columns', async () => {
    const dir = tempDir();
    const file = writeLines(join(dir, 'docs.csv'), ['id,emb', 'a,1 2']);
    const result = await quiver(['import', 'docs', file, '--data', join(dir, 'data')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^quiver import: .*docs\.csv: no vector column 'vector' in the header \(columns: 'id', 'emb'\); name it with --vector-field, or import text and metadata only with --keyword-only$/m);
  });
});

describe('quiver import: existing collections', () => {
  it('refuses a --dimension, --metric or file dimension that does not match the collection', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    expect((await quiver(['import', 'docs', writeLines(join(dir, 'a.jsonl'), jsonlDocs(3)), '--data', data])).code).toBe(0);
    const again = join(dir, 'a.jsonl');
    const wrongDimension = await quiver(['import', 'docs', again, '--data', data, '--dimension', '4']);
    expect([wrongDimension.code, wrongDimension.stderr]).toEqual([1, expect.stringMatching(/collection 'docs' has dimension 8, not 4/) as unknown]);
    const wrongMetric = await quiver(['import', 'docs', again, '--data', data, '--metric', 'l2']);
    expect([wrongMetric.code, wrongMetric.stderr]).toEqual([1, expect.stringMatching(/uses metric cosine, not l2/) as unknown]);
    const vecs = writeVecs(join(dir, 'x.fvecs'), [[1, 2, 3]]);
    const wrongFile = await quiver(['import', 'docs', vecs, '--data', data]);
    expect([wrongFile.code, wrongFile.stderr]).toEqual([1, expect.stringMatching(/holds vectors of dimension 3, but collection 'docs' has 8/) as unknown]);
  });

  it('says a locked data directory is in use and points to --url', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const db = await openDatabase({ path: data, logger: silent });
    try {
      const result = await quiver(['import', 'docs', writeLines(join(dir, 'a.jsonl'), jsonlDocs(2)), '--data', data]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/in use by another process .*--url http:\/\/127\.0\.0\.1:8080/);
    } finally {
      await db.close();
    }
  });
});

describe('quiver import: resumption', () => {
  it('re-running skips what is stored; repeated ids in a file count as skipped', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const file = writeLines(join(dir, 'docs.jsonl'), [...jsonlDocs(20), JSON.stringify({ id: 'd3', vector: vectorOf(99, DIMENSION), text: 'dup' })]);
    const first = summaryOf((await quiver(['import', 'docs', file, '--data', data, '--batch', '7', '--json'])).stdout);
    expect(first).toMatchObject({ imported: 20, skipped: 1 });
    const second = await quiver(['import', 'docs', file, '--data', data, '--batch', '7', '--json']);
    expect(second.code).toBe(0);
    expect(summaryOf(second.stdout)).toMatchObject({ created: false, imported: 0, skipped: 21 });
    await expectJsonlDocs(data, 20);
  });

  it('an import that fails after some batches, re-run, ends with exactly the file', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const file = writeLines(join(dir, 'docs.jsonl'), jsonlDocs(50));
    const db = await openDatabase({ path: data, logger: silent });
    let upserts = 0;
    const failing: TargetDatabase = {
      listCollections: () => db.listCollections(),
      collection: (name) => wrap(db, name),
      createCollection: async (name, options) => {
        await db.createCollection(name, options);
        return wrap(db, name);
      },
      dropCollection: (name) => db.dropCollection(name),
      close: () => db.close(),
    };
    function wrap(database: Database, name: string) {
      const collection = database.collection(name);
      return {
        getMany: (ids: readonly string[]) => collection.getMany(ids),
        search: (request: Parameters<typeof collection.search>[0]) => collection.search(request),
        delete: (ids: readonly string[]) => collection.delete(ids),
        deleteWhere: (filter: Record<string, unknown>) => collection.deleteWhere(filter),
        upsert: async (documents: Parameters<typeof collection.upsert>[0]) => {
          if (++upserts > 3) throw new Error('disk on fire');
          return collection.upsert(documents);
        },
      };
    }
    await expect(importFile(failing, { collection: 'docs', file, batch: 8 })).rejects.toThrow('disk on fire');
    await db.close();

    const rerun = await quiver(['import', 'docs', file, '--data', data, '--batch', '8', '--json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(summaryOf(rerun.stdout)).toMatchObject({ imported: 26, skipped: 24 });
    await expectJsonlDocs(data, 50);
  });

  it('an import stopped by SIGINT (the abort signal) exits 130 and resumes', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const file = writeLines(join(dir, 'docs.jsonl'), jsonlDocs(40));
    const controller = new AbortController();
    const db = await openDatabase({ path: data, logger: silent });
    const summary = await importFile(db, { collection: 'docs', file, batch: 10 }, {
      signal: controller.signal,
      onProgress: ({ documents }) => {
        if (documents >= 20) controller.abort();
      },
    });
    await db.close();
    expect(summary).toMatchObject({ imported: 20, stopped: 'interrupted' });

    const interrupted = await quiver(['import', 'docs', file, '--data', data], { signal: AbortSignal.abort() });
    expect(interrupted.code).toBe(130);
    expect(interrupted.stdout).toMatch(/interrupted: run the same command again to resume/);

    const rerun = await quiver(['import', 'docs', file, '--data', data, '--json']);
    expect(summaryOf(rerun.stdout)).toMatchObject({ imported: 20, skipped: 20 });
    await expectJsonlDocs(data, 40);
  });

  it('a quiver process killed mid-import (SIGKILL), then re-run, ends with exactly the file', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const count = 20_000;
    const file = writeLines(join(dir, 'docs.jsonl'), jsonlDocs(count));
    const args = ['import', 'docs', file, '--data', data, '--batch', '250', '--hnsw-ef-construction', '100'];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const killed = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // The first progress line comes after the first batch is stored.
        if (/^progress: /m.test(stderr)) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`the import ended before it was killed: ${stderr}`)));
    });
    expect(await killed).toBe('SIGKILL');

    const rerun = await quiver(['import', ...args.slice(1), '--json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    const summary = summaryOf(rerun.stdout);
    expect(summary.skipped).toBeGreaterThanOrEqual(250);
    expect(summary.skipped % 250).toBe(0);
    expect(summary.imported).toBeGreaterThan(0);
    expect(summary.imported + summary.skipped).toBe(count);
    await expectJsonlDocs(data, count);
  });
});

describe('quiver import: arguments', () => {
  it('answers unknown flags and bad values with one error, the usage line, and status 2', async () => {
    const cases: [string[], RegExp][] = [
      [['import', 'docs', 'x.jsonl', '--bogus'], /Unknown option '--bogus'/],
      [['import', 'docs'], /expected <collection> <file>/],
      [['import', 'docs', 'x.jsonl', 'extra'], /unexpected argument 'extra'/],
      [['import', 'docs', 'x.jsonl', '--batch', '0', '--metric', 'hamming'], /--metric must be one of cosine, dot, l2, got 'hamming'; --batch must be an integer from 1 to 100000, got '0'/],
      [['import', 'docs', 'x.jsonl', '--dimension', '1.5'], /--dimension must be an integer/],
      [['import', 'bad name', 'x.jsonl'], /collection name 'bad name'/],
      [['import', 'docs', 'x.jsonl', '--data', 'd', '--url', 'http://127.0.0.1:1'], /either --data or --url/],
      [['import', 'docs', 'x.jsonl', '--url', 'ftp://x'], /--url must be an http/],
      [['import', 'docs', 'x.jsonl', '--batch'], /argument missing/],
    ];
    for (const [argv, message] of cases) {
      const result = await quiver(argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toMatch(message);
      expect(result.stderr).toMatch(/^usage: quiver import <collection> <file> \[options\]$/m);
      expect(result.stdout).toBe('');
    }
  });

  it('prints its usage with --help, and fails on a missing file with status 1', async () => {
    const help = await quiver(['import', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--vector-field NAME/);
    const missing = await quiver(['import', 'docs', join(tempDir(), 'nope.jsonl'), '--data', tempDir()]);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringMatching(/nope\.jsonl: no such file/) as unknown]);
  });
});
