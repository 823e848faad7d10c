import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRow, readRows } from '../../src/io/matrix.js';
import { formatOf, openMatrix, openSource, SourceError, type SourceItem, type SourceOptions } from '../../src/io/source.js';
import { readFvecs } from '../../src/io/vecs.js';
import { sharedData } from '../fixtures/shared-data.js';
import { npyBytes, tempDir, writeLines, writeNpy, writeVecs } from './helpers.js';

async function collect(path: string, options?: SourceOptions): Promise<{ items: SourceItem[]; error?: SourceError }> {
  const source = await openSource(path, options);
  const items: SourceItem[] = [];
  try {
    for await (const item of source.items()) items.push(item);
  } catch (error) {
    if (!(error instanceof SourceError)) throw error;
    return { items, error };
  }
  return { items };
}

function documents(items: readonly SourceItem[]) {
  return items.flatMap((item) => (item.kind === 'document' ? [{ ...item.document, vector: Array.from(item.document.vector as ArrayLike<number>), ...item.at }] : []));
}

function rejections(items: readonly SourceItem[]) {
  return items.flatMap((item) => (item.kind === 'rejected' ? [{ ...item.at, problem: item.problem }] : []));
}

async function sourceError(promise: Promise<unknown>): Promise<SourceError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
}

describe('format detection', () => {
  it('tells formats from names, .gz included', () => {
    expect(formatOf('a/b.jsonl')).toBe('jsonl');
    expect(formatOf('b.NDJSON.gz')).toBe('jsonl');
    expect(formatOf('c.tsv')).toBe('csv');
    expect(formatOf('c.csv.gz')).toBe('csv');
    expect(formatOf('d.fvecs')).toBe('fvecs');
    expect(formatOf('d.bvecs')).toBe('bvecs');
    expect(formatOf('d.ivecs')).toBe('ivecs');
    expect(formatOf('e.npy')).toBe('npy');
    expect(formatOf('f.parquet')).toBeUndefined();
  });

  it('refuses a name it cannot place, and compressed matrices', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.bin'), 'x');
    expect((await sourceError(openSource(join(dir, 'x.bin')))).message).toMatch(/--format/);
    writeFileSync(join(dir, 'x.fvecs.gz'), 'x');
    expect((await sourceError(openSource(join(dir, 'x.fvecs.gz')))).message).toMatch(/decompress/);
  });
});

describe('JSONL', () => {
  it('reads ids, vectors, text and metadata; other fields and a metadata object become metadata', async () => {
    const dir = tempDir();
    const path = writeLines(join(dir, 'docs.jsonl'), [
      JSON.stringify({ id: 'a', vector: [1, 2], text: 'hello', lang: 'en' }),
      JSON.stringify({ id: 7, vector: [3, 4], metadata: { year: 2020 }, tags: ['x'] }),
    ]);
    const { items } = await collect(path);
    expect(documents(items)).toEqual([
      { id: 'a', vector: [1, 2], text: 'hello', metadata: { lang: 'en' }, line: 1 },
      { id: '7', vector: [3, 4], metadata: { year: 2020, tags: ['x'] }, line: 2 },
    ]);
  });

  it('takes field names, base64 float32 vectors, CRLF, a BOM and blank lines', async () => {
    const dir = tempDir();
    const base64 = Buffer.from(new Float32Array([0.5, -2]).buffer).toString('base64');
    const path = join(dir, 'docs.jsonl');
    writeFileSync(path, `\uFEFF${JSON.stringify({ key: 'k1', emb: base64, body: 'b' })}\r\n\r\n${JSON.stringify({ key: 'k2', emb: [1, 1] })}\r\n`);
    const { items } = await collect(path, { fields: { id: 'key', vector: 'emb', text: 'body' } });
    expect(documents(items)).toEqual([
      { id: 'k1', vector: [0.5, -2], text: 'b', line: 1 },
      { id: 'k2', vector: [1, 1], line: 3 },
    ]);
  });

  it('numbers lines as ids with rowIds, and reads .gz', async () => {
    const dir = tempDir();
    const path = writeLines(join(dir, 'docs.jsonl.gz'), [JSON.stringify({ vector: [1] }), '', JSON.stringify({ id: 'ignored', vector: [2] })], { gzip: true });
    const { items } = await collect(path, { rowIds: true });
    expect(documents(items).map((d) => [d.id, d.line, d.metadata])).toEqual([
      ['0', 1, undefined],
      ['2', 3, { id: 'ignored' }],
    ]);
  });

  it('rejects each malformed line with its line number and field, and reads on', async () => {
    const dir = tempDir();
    const path = writeLines(join(dir, 'bad.jsonl'), [
      JSON.stringify({ id: 'ok1', vector: [1, 2] }),
      '{"id": "broken", "vector": [1, 2',
      '[1, 2]',
      JSON.stringify({ vector: [1, 2] }),
      JSON.stringify({ id: true, vector: [1, 2] }),
      JSON.stringify({ id: 'nov' }),
      JSON.stringify({ id: 'obj', vector: { a: 1 } }),
      JSON.stringify({ id: 'b64', vector: 'AAA' }),
      JSON.stringify({ id: 'ok2', vector: [3, 4] }),
    ]);
    const { items, error } = await collect(path);
    expect(error).toBeUndefined();
    expect(documents(items).map((d) => d.id)).toEqual(['ok1', 'ok2']);
    const rejected = rejections(items);
    expect(rejected.map((r) => [r.line, r.field])).toEqual([
      [2, undefined],
      [3, undefined],
      [4, 'id'],
      [5, 'id'],
      [6, 'vector'],
      [7, 'vector'],
      [8, 'vector'],
    ]);
    expect(rejected[0]!.problem).toMatch(/^invalid JSON/);
    expect(rejected[1]!.problem).toMatch(/JSON object, got an array/);
  });
});

describe('CSV', () => {
  it('reads JSON-array and separated vector cells; other columns become metadata, numbers cast', async () => {
    const dir = tempDir();
    const path = writeLines(join(dir, 'docs.csv'), ['id,vector,text,year,zip,note', 'a,"[1, 2]",hello,2020,02134,', 'b,3 4,"multi, comma",1999,x,n', 'c,"5;6",,-1.5e2,,']);
    const { items } = await collect(path);
    expect(documents(items)).toEqual([
      { id: 'a', vector: [1, 2], text: 'hello', metadata: { year: 2020, zip: '02134' }, line: 2 },
      { id: 'b', vector: [3, 4], text: 'multi, comma', metadata: { year: 1999, zip: 'x', note: 'n' }, line: 3 },
      { id: 'c', vector: [5, 6], metadata: { year: -150 }, line: 4 },
    ]);
  });

  it('reads TSV, renamed columns and row ids', async () => {
    const dir = tempDir();
    const path = writeLines(join(dir, 'docs.tsv'), ['emb\ttitle', '1,2\tfirst', '3,4\tsecond']);
    const { items } = await collect(path, { rowIds: true, fields: { vector: 'emb', text: 'title' } });
    expect(documents(items)).toEqual([
      { id: '0', vector: [1, 2], text: 'first', line: 2 },
      { id: '1', vector: [3, 4], text: 'second', line: 3 },
    ]);
  });

  it('rejects bad vector cells and unreadable rows with their lines, and reads on', async () => {
    const dir = tempDir();
    const path = writeLines(join(dir, 'bad.csv'), [
      'id,vector,text',
      'a,"1 2",ok',
      'b,"1 x",bad cell',
      'c,"[1, 2",bad json',
      'd,"1 2",too,many',
      'e,,no vector',
      ',"1 2",no id',
      'f,"3 4",ok',
    ]);
    const { items, error } = await collect(path);
    expect(error).toBeUndefined();
    expect(documents(items).map((d) => d.id)).toEqual(['a', 'f']);
    const rejected = rejections(items);
    expect(rejected.map((r) => [r.line, r.field])).toEqual([
      [3, 'vector'],
      [4, 'vector'],
      [5, undefined],
      [6, 'vector'],
      [7, 'id'],
    ]);
    expect(rejected[0]!.problem).toMatch(/element 1 is 'x'/);
    expect(rejected[2]!.problem).toMatch(/Invalid Record Length/);
  });

  it('fails on a header without the vector or id column, naming the columns', async () => {
    const dir = tempDir();
    const noVector = writeLines(join(dir, 'a.csv'), ['id,emb', 'a,1 2']);
    expect((await collect(noVector)).error?.message).toMatch(/no vector column 'vector'.*'id', 'emb'/);
    const noId = writeLines(join(dir, 'b.csv'), ['key,vector', 'a,1 2']);
    const { error } = await collect(noId);
    expect(error?.message).toMatch(/no id column 'id'.*--row-ids/);
    expect(error?.at).toEqual({});
  });
});

describe('TEXMEX vecs', () => {
  const rows = [
    [1.5, -2, 3],
    [4, 5, 6.25],
    [0, 7, -8],
  ];

  it('streams fvecs, ivecs and bvecs rows as documents numbered from 0', async () => {
    const dir = tempDir();
    for (const kind of ['fvecs', 'ivecs', 'bvecs'] as const) {
      const data = kind === 'fvecs' ? rows : [[1, 2, 3], [4, 5, 6], [250, 0, 9]];
      const path = writeVecs(join(dir, `x.${kind}`), data, kind);
      const source = await openSource(path);
      expect([source.dimension, source.count]).toEqual([3, 3]);
      const { items, error } = await collect(path);
      expect(error).toBeUndefined();
      expect(documents(items)).toEqual(data.map((vector, i) => ({ id: String(i), vector, record: i })));
    }
  });

  it('reads many chunks the same as the whole-file reader', async () => {
    const base = sharedData('siftsmall/siftsmall_base.fvecs');
    const whole = readFvecs(base);
    const matrix = await openMatrix(base, 'fvecs');
    const streamed = new Float32Array(whole.data.length);
    let rowsRead = 0;
    for await (const chunk of readRows(matrix, { chunkBytes: 100_000 })) {
      streamed.set(chunk.data, chunk.first * matrix.dimension);
      rowsRead += chunk.count;
    }
    expect(rowsRead).toBe(whole.count);
    expect(Buffer.from(streamed.buffer).equals(Buffer.from(whole.data.buffer))).toBe(true);
    expect(Array.from(await readRow(matrix, 9999))).toEqual(Array.from(whole.data.subarray(9999 * 128)));
  });

  it('reports a truncated last record after yielding the whole ones', async () => {
    const dir = tempDir();
    const path = writeVecs(join(dir, 't.fvecs'), rows);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 5));
    const { items, error } = await collect(path);
    expect(documents(items).map((d) => d.id)).toEqual(['0', '1']);
    expect(error?.at).toEqual({ record: 2 });
    expect(error?.message).toMatch(/truncated: only 11 of its 16 bytes/);
  });

  it('reports a record whose dimension differs (misaligned file) and keeps those before it', async () => {
    const dir = tempDir();
    const path = writeVecs(join(dir, 'm.fvecs'), [[1, 2, 3], [4, 5], [6, 7, 8]]);
    const { items, error } = await collect(path);
    expect(documents(items).map((d) => d.id)).toEqual(['0']);
    expect(error?.at).toEqual({ record: 1 });
    expect(error?.message).toMatch(/dimension 2 .* expected 3/);
  });

  it('refuses files that are empty or do not start with a dimension', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'e.fvecs'), '');
    expect((await sourceError(openSource(join(dir, 'e.fvecs')))).message).toMatch(/too short/);
    const junk = Buffer.alloc(16);
    junk.writeInt32LE(-5, 0);
    writeFileSync(join(dir, 'j.fvecs'), junk);
    expect((await sourceError(openSource(join(dir, 'j.fvecs')))).message).toMatch(/dimension is -5/);
  });
});

describe('NumPy .npy', () => {
  const rows = [
    [1.5, -2],
    [3, 4.25],
    [5, 6],
  ];

  it('reads <f4 (format 1.0 and 2.0) and <f8 matrices', async () => {
    const dir = tempDir();
    for (const [name, options] of [
      ['v1.npy', {}],
      ['v2.npy', { version: 2 as const }],
      ['f8.npy', { descr: '<f8' }],
    ] as const) {
      const path = writeNpy(join(dir, name), rows, options);
      const source = await openSource(path);
      expect([source.format, source.dimension, source.count]).toEqual(['npy', 2, 3]);
      const { items, error } = await collect(path);
      expect(error).toBeUndefined();
      expect(documents(items)).toEqual(rows.map((vector, i) => ({ id: String(i), vector, record: i })));
    }
  });

  it('refuses a wrong dtype, Fortran order, a shape that is not 2-D, and a non-npy file', async () => {
    const dir = tempDir();
    const cases: [string, Buffer, RegExp][] = [
      ['be.npy', npyBytes(rows, { descr: '>f4' }), /dtype '>f4' is not supported/],
      ['int.npy', npyBytes(rows, { descr: '<i4' }), /dtype '<i4'/],
      ['fortran.npy', npyBytes(rows, { fortran: true }), /Fortran/],
      ['flat.npy', npyBytes([[1, 2, 3, 4, 5, 6]], { shape: '(6,)' }), /shape \(6,\) is not a 2-D matrix/],
      ['cube.npy', npyBytes(rows, { shape: '(3, 1, 2)' }), /shape \(3, 1, 2\)/],
      ['text.npy', Buffer.from('not numpy at all'), /not a \.npy file/],
    ];
    for (const [name, bytes, message] of cases) {
      writeFileSync(join(dir, name), bytes);
      expect((await sourceError(openSource(join(dir, name)))).message, name).toMatch(message);
    }
  });

  it('reports rows missing from a truncated file, and bytes past the declared shape', async () => {
    const dir = tempDir();
    const full = npyBytes(rows);
    writeFileSync(join(dir, 'short.npy'), full.subarray(0, full.length - 6));
    const short = await collect(join(dir, 'short.npy'));
    expect(documents(short.items).map((d) => d.id)).toEqual(['0', '1']);
    expect(short.error?.at).toEqual({ record: 2 });
    expect(short.error?.message).toMatch(/truncated: only 2 of its 8 bytes/);

    writeFileSync(join(dir, 'long.npy'), Buffer.concat([full, Buffer.alloc(3)]));
    const long = await collect(join(dir, 'long.npy'));
    expect(documents(long.items)).toHaveLength(3);
    expect(long.error?.message).toMatch(/3 bytes follow the last of the 3 rows/);
  });

  it('reads a single row for queries, and refuses rows out of range', async () => {
    const dir = tempDir();
    const matrix = await openMatrix(writeNpy(join(dir, 'q.npy'), rows), 'npy');
    expect(Array.from(await readRow(matrix, 1))).toEqual([3, 4.25]);
    expect((await sourceError(readRow(matrix, 3))).message).toMatch(/no row 3 .* 3 rows/);
  });
});
