import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type SearchHit, type SearchRequest } from '../../src/index.js';
import { jsonLines, quiver, silent, tempDir, vectorOf, writeLines, writeNpy, writeVecs } from './helpers.js';

const DIMENSION = 6;
const COUNT = 40;
const WORDS = ['apple', 'banana', 'cherry', 'damson'];

let data: string;
let dir: string;

beforeAll(async () => {
  dir = tempDir('quiver-cli-search-', { untilEnd: true });
  data = join(dir, 'data');
  const lines = Array.from({ length: COUNT }, (_, i) =>
    JSON.stringify({ id: `d${i}`, vector: vectorOf(i, DIMENSION), text: `${WORDS[i % 4]} pie number ${i}`, group: i % 3 }),
  );
  const result = await quiver(['import', 'docs', writeLines(join(dir, 'docs.jsonl'), lines), '--data', data]);
  if (result.code !== 0) throw new Error(result.stderr);
  const other = await quiver(['import', 'vecs', writeVecs(join(dir, 'x.fvecs'), [[1, 2], [3, 4]]), '--data', data, '--metric', 'l2']);
  if (other.code !== 0) throw new Error(other.stderr);
});

type Hits = { hits: (SearchHit & { vector?: number[] })[] };

async function searchJson(args: readonly string[]): Promise<Hits> {
  const result = await quiver(['search', 'docs', '--data', data, '--json', ...args]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Hits;
}

async function librarySearch(request: SearchRequest): Promise<SearchHit[]> {
  const db = await openDatabase({ path: data, logger: silent });
  try {
    return await db.collection('docs').search(request);
  } finally {
    await db.close();
  }
}

describe('quiver search', () => {
  it('answers --vector as the library does, as JSON', async () => {
    const query = vectorOf(5, DIMENSION);
    const { hits } = await searchJson(['--vector', JSON.stringify(query), '--k', '5']);
    const expected = await librarySearch({ vector: query, k: 5 });
    expect(hits).toEqual(expected.map((hit) => ({ ...hit })));
    expect(hits[0]!.id).toBe('d5');
  });

  it('takes comma-separated vectors, --exact, --ef and --include vector', async () => {
    const query = vectorOf(9, DIMENSION);
    const { hits } = await searchJson([`--vector=${query.join(',')}`, '--k', '3', '--exact', '--ef', '50', '--include', 'vector']);
    expect(hits.map((hit) => hit.id)[0]).toBe('d9');
    expect(hits[0]!.vector).toHaveLength(DIMENSION);
    expect(hits[0]!.text).toBeUndefined();
  });

  it('runs keyword, filtered and hybrid searches', async () => {
    const keyword = await searchJson(['--text', 'cherry', '--k', '20']);
    expect(keyword.hits).toHaveLength(10);
    expect(keyword.hits.every((hit) => hit.text!.startsWith('cherry'))).toBe(true);

    const filtered = await searchJson(['--vector', JSON.stringify(vectorOf(1, DIMENSION)), '--filter', '{"group": 2}']);
    expect(filtered.hits.every((hit) => hit.metadata!.group === 2)).toBe(true);

    const hybrid = await searchJson(['--vector', JSON.stringify(vectorOf(2, DIMENSION)), '--text', 'banana', '--alpha', '0.3', '--fusion', 'rrf', '--k', '4']);
    expect(hybrid.hits).toEqual(await librarySearch({ vector: vectorOf(2, DIMENSION), text: 'banana', alpha: 0.3, fusion: 'rrf', k: 4 }));
    expect(hybrid.hits[0]!.vectorScore).toBeTypeOf('number');
  });

  it('prints an aligned table by default, timing on stderr', async () => {
    const result = await quiver(['search', 'docs', '--data', data, '--text', 'damson pie', '--k', '3']);
    expect(result.code).toBe(0);
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^#\s+id\s+score\s+text\s+metadata$/);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^1\s+d\d+\s+\d+\.\d{4}\s+damson pie number \d+\s+\{"group":\d\}$/);
    // Columns line up: every row's text starts where the header's does.
    const textColumn = header!.indexOf('text');
    for (const row of rows) expect(row.slice(textColumn)).toMatch(/^damson/);
    expect(result.stderr).toMatch(/^3 hits in /);
  });

  it('reads queries from a vector file: one row, or every row as JSON lines', async () => {
    const queries = [vectorOf(3, DIMENSION), vectorOf(17, DIMENSION), vectorOf(30, DIMENSION)];
    const fvecs = writeVecs(join(dir, 'q.fvecs'), queries);
    const npy = writeNpy(join(dir, 'q.npy'), queries);
    const one = await searchJson(['--vector-file', fvecs, '--row', '1', '--k', '2']);
    expect(one.hits).toEqual((await searchJson(['--vector', JSON.stringify(queries[1]), '--k', '2'])).hits);

    for (const file of [fvecs, npy]) {
      const result = await quiver(['search', 'docs', '--data', data, '--vector-file', file, '--all', '--k', '1', '--json']);
      expect(result.code, result.stderr).toBe(0);
      expect(jsonLines(result.stdout)).toEqual([
        { query: 0, hits: [expect.objectContaining({ id: 'd3' })] },
        { query: 1, hits: [expect.objectContaining({ id: 'd17' })] },
        { query: 2, hits: [expect.objectContaining({ id: 'd30' })] },
      ]);
      expect(result.stderr).toMatch(/^3 queries in .* queries\/s/);
    }
    const human = await quiver(['search', 'docs', '--data', data, '--vector-file', npy, '--all', '--k', '1']);
    expect(human.stdout).toMatch(/^query 0\n#\s+id\s+score/);
  });

  it('fails clearly: unknown collection, no database, a bad row, a bad filter', async () => {
    const unknown = await quiver(['search', 'nope', '--data', data, '--text', 'x']);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringMatching(/COLLECTION_NOT_FOUND/) as unknown]);
    const empty = await quiver(['search', 'docs', '--data', join(dir, 'nothing-here'), '--text', 'x']);
    expect([empty.code, empty.stderr]).toEqual([1, expect.stringMatching(/no Quiver database in .*nothing-here/) as unknown]);
    const row = await quiver(['search', 'docs', '--data', data, '--vector-file', writeVecs(join(dir, 'one.fvecs'), [vectorOf(0, DIMENSION)]), '--row', '4']);
    expect([row.code, row.stderr]).toEqual([1, expect.stringMatching(/no row 4 \(the file has 1 rows/) as unknown]);
    const filter = await quiver(['search', 'docs', '--data', data, '--text', 'x', '--filter', '{"group": {"$near": 1}}']);
    expect([filter.code, filter.stderr]).toEqual([1, expect.stringMatching(/INVALID_FILTER/) as unknown]);
    const dimension = await quiver(['search', 'docs', '--data', data, '--vector', '[1, 2]']);
    expect([dimension.code, dimension.stderr]).toEqual([1, expect.stringMatching(/DIMENSION_MISMATCH/) as unknown]);
  });

  it('answers bad arguments with status 2 and the usage line', async () => {
    const cases: [string[], RegExp][] = [
      [[], /give a query/],
      [['--vector', '[1]', '--vector-file', 'q.fvecs', '--row', '0'], /not both/],
      [['--vector-file', 'q.fvecs'], /either --row N or --all/],
      [['--vector', '[1]', '--row', '1'], /--row and --all go with --vector-file/],
      [['--vector-file', 'q.jsonl', '--all'], /must be a \.fvecs, \.bvecs, \.ivecs, \.npy file/],
      [['--text', 'x', '--k', '0'], /--k must be an integer from 1/],
      [['--text', 'x', '--exact', '--hnsw'], /--exact or --hnsw, not both/],
      [['--text', 'x', '--filter', '{oops'], /--filter is not valid JSON/],
      [['--text', 'x', '--filter', '[1]'], /--filter must be a JSON object/],
      [['--text', 'x', '--include', 'score'], /--include takes/],
      [['--text', 'x', '--alpha', '2'], /--alpha must be a number from 0 to 1/],
      [['--vector', '1,x'], /--vector: element 1 is 'x'/],
      [['--text', 'x', '--frobnicate'], /Unknown option '--frobnicate'/],
    ];
    for (const [args, message] of cases) {
      const result = await quiver(['search', 'docs', '--data', data, ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr).toMatch(/^usage: quiver search <collection>/m);
    }
  });
});

describe('quiver collections and stats', () => {
  it('lists collections as a table and as JSON', async () => {
    const table = await quiver(['collections', '--data', data]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^name\s+state\s+documents\s+dimension\s+metric\s+quantization$/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^docs\s+ready\s+40\s+6\s+cosine\s+none$/), expect.stringMatching(/^vecs\s+ready\s+2\s+2\s+l2\s+none$/)]);
    const json = JSON.parse((await quiver(['collections', '--data', data, '--json'])).stdout) as { collections: { name: string; count: number }[] };
    expect(json.collections.map(({ name, count }) => [name, count])).toEqual([
      ['docs', 40],
      ['vecs', 2],
    ]);
  });

  it('describes one collection: settings, index state, its own size on disk and the directory\'s', async () => {
    const human = await quiver(['stats', 'docs', '--data', data]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^collection:\s+docs$/m);
    expect(human.stdout).toMatch(/^documents:\s+40$/m);
    expect(human.stdout).toMatch(/^hnsw:\s+m 16, efConstruction 200, ef 64, \d+ segments?$/m);
    expect(human.stdout).toMatch(/^indexing backlog:\s+\d+ documents awaiting/m);
    expect(human.stdout).toMatch(/^tombstones:\s+0 \(0\.0% of the graph/m);
    expect(human.stdout).toMatch(/^on disk:\s+[\d.]+ (B|KiB|MiB) \(rows in the store [\d.]+ (B|KiB|MiB), snapshots [\d.]+ (B|KiB|MiB)\)$/m);
    expect(human.stdout).toMatch(/^data directory:\s+[\d.]+ (KiB|MiB) in .*data \(store [\d.]+ (KiB|MiB), snapshots/m);
    type Sizes = { store: number; snapshots: number; total: number };
    const stats = async (name: string) => JSON.parse((await quiver(['stats', name, '--data', data, '--json'])).stdout) as Record<string, unknown> & { disk: Sizes; dataDirectory: Sizes };
    const json = await stats('docs');
    expect(json).toMatchObject({ name: 'docs', state: 'ready', count: 40, dimension: 6, metric: 'cosine', tombstones: 0 });
    // disk is the collection's own: its rows and snapshots, part of the directory, more than the two-document collection's.
    expect(json.disk.store).toBeGreaterThan(0);
    expect(json.disk.snapshots).toBeGreaterThan(0);
    expect(json.disk.total).toBe(json.disk.store + json.disk.snapshots);
    expect(json.disk.total).toBeLessThan(json.dataDirectory.total);
    const small = await stats('vecs');
    expect(small.disk.total).toBeLessThan(json.disk.total);
    expect(small.dataDirectory.total).toBe(json.dataDirectory.total);
  });

  it('sums every collection without a name, and fails for an unknown one', async () => {
    const json = JSON.parse((await quiver(['stats', '--data', data, '--json'])).stdout) as { documents: number; collections: unknown[] };
    expect([json.documents, json.collections.length]).toEqual([42, 2]);
    const human = await quiver(['stats', '--data', data]);
    expect(human.stdout).toMatch(/^collections:\s+2\ndocuments:\s+42\non disk:/);
    expect(human.stdout).toMatch(/^name\s+state\s+documents\s+dimension\s+metric\s+quantization\s+tombstones\s+version$/m);
    const unknown = await quiver(['stats', 'nope', '--data', data]);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringMatching(/COLLECTION_NOT_FOUND/) as unknown]);
    const extra = await quiver(['collections', 'docs', '--data', data]);
    expect(extra.code).toBe(2);
  });
});
