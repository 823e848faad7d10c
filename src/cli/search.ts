/**
 * `quiver search <collection>`: one query from --vector or --text (both:
 * hybrid), or queries read from a vector file: one row (--row) or every row
 * (--all, one JSON line per query with --json), so a benchmark's query set
 * needs one process, not one per query.
 */
import type { SearchField, SearchHit, SearchRequest } from '../index.js';
import { MAX_EF, MAX_K, MAX_QUERY_TEXT_LENGTH, DEFAULT_K } from '../core/options.js';
import { parseVectorCell } from '../io/csv.js';
import { readRow, readRows, MATRIX_FORMATS, type MatrixFormat } from '../io/matrix.js';
import { formatOf, openMatrix, SourceError } from '../io/source.js';
import { Checks, CliError, EXIT_INTERRUPTED, EXIT_OK, parseCommand, resolveTargetFlags, TARGET_OPTIONS, TARGET_USAGE } from './args.js';
import { formatDuration, formatScore, table, truncate, type Column } from './format.js';
import { openTarget, type CliIo, type TargetCollection } from './target.js';

export const SEARCH_USAGE = `usage: quiver search <collection> (--vector V | --vector-file F (--row N | --all) | --text T) [options]

Query (a vector and --text together make a hybrid search):
  --vector V          '[0.1, 0.2, ...]' or '0.1,0.2,...' (write --vector=-0.1,... for a leading minus)
  --vector-file F     a .fvecs, .bvecs, .ivecs or .npy file of query vectors, with
    --row N           its row N (from 0), or
    --all             every row, one result per query (with --json: one JSON line each)
  --text T            keyword query (BM25)

Options:
  --k N               hits per query (default ${DEFAULT_K}, at most ${MAX_K})
  --ef N              HNSW search breadth for this query (default: the collection's)
  --exact             exact scan instead of the planner's choice
  --hnsw              the HNSW graph instead of the planner's choice (to measure its recall)
  --filter JSON       metadata filter, e.g. '{"lang": "en", "year": {"$gte": 2020}}'
  --include FIELDS    fields to return: text,metadata,vector (default text,metadata)
  --alpha A           hybrid: weight of the vector side, 0 to 1 (default 0.5)
  --fusion F          hybrid: relativeScore or rrf

${TARGET_USAGE}

Examples:
  quiver search docs --text "rust ownership" --k 5
  quiver search sift --vector-file sift_query.fvecs --all --json > results.jsonl`;

const SEARCH_OPTIONS = {
  ...TARGET_OPTIONS,
  vector: { type: 'string' },
  'vector-file': { type: 'string' },
  row: { type: 'string' },
  all: { type: 'boolean' },
  text: { type: 'string' },
  k: { type: 'string' },
  ef: { type: 'string' },
  exact: { type: 'boolean' },
  hnsw: { type: 'boolean' },
  filter: { type: 'string' },
  include: { type: 'string' },
  alpha: { type: 'string' },
  fusion: { type: 'string' },
} as const;

/** --all keeps this many searches in flight: a server answers them in parallel; in process they simply queue. */
const SEARCHES_IN_FLIGHT = 8;

const INCLUDE_FIELDS: readonly SearchField[] = ['metadata', 'text', 'vector'];

type QueryVectors =
  | { kind: 'none' }
  | { kind: 'one'; vector: Float32Array | number[] }
  | { kind: 'file'; path: string; format: MatrixFormat; row: number | undefined };

/** The `quiver search` command. */
export async function runSearch(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, SEARCH_OPTIONS, { min: 1, max: 1, names: '<collection>' });
  if (values.help) {
    io.stdout.write(`${SEARCH_USAGE}\n`);
    return EXIT_OK;
  }
  const checks = new Checks();
  const sources = [values.vector, values['vector-file']].filter((value) => value !== undefined).length;
  checks.require(sources <= 1, 'give --vector or --vector-file, not both');
  checks.require(sources === 1 || values.text !== undefined, 'give a query: --vector, --vector-file or --text');
  const fileQuery = values['vector-file'] !== undefined;
  checks.require(!fileQuery || (values.row !== undefined) !== (values.all === true), '--vector-file needs either --row N or --all');
  checks.require(fileQuery || (values.row === undefined && values.all === undefined), '--row and --all go with --vector-file');
  checks.require(!(values.exact && values.hnsw), 'give --exact or --hnsw, not both');
  const row = checks.integer(values.row, 'row', 0, Number.MAX_SAFE_INTEGER);
  const k = checks.integer(values.k, 'k', 1, MAX_K);
  const ef = checks.integer(values.ef, 'ef', 1, MAX_EF);
  const alpha = checks.number(values.alpha, 'alpha', 0, 1);
  const fusion = checks.choice(values.fusion, 'fusion', ['relativeScore', 'rrf'] as const);
  const filter = checks.json(values.filter, 'filter', 'object') as Record<string, unknown> | undefined;
  checks.require(values.text === undefined || (values.text.trim() !== '' && values.text.length <= MAX_QUERY_TEXT_LENGTH), `--text must be 1 to ${MAX_QUERY_TEXT_LENGTH} characters`);
  let include: SearchField[] | undefined;
  if (values.include !== undefined) {
    include = values.include.split(',').map((field) => field.trim()).filter((field) => field !== '') as SearchField[];
    checks.require(include.every((field) => INCLUDE_FIELDS.includes(field)), `--include takes a comma-separated list of ${INCLUDE_FIELDS.join(', ')}, got '${values.include}'`);
  }
  let query: QueryVectors = { kind: 'none' };
  if (values.vector !== undefined) {
    const parsed = parseVectorCell(values.vector);
    if ('problem' in parsed) checks.require(false, `--vector: ${parsed.problem}`);
    else query = { kind: 'one', vector: parsed.vector as number[] };
  } else if (fileQuery) {
    const path = values['vector-file']!;
    const format = formatOf(path);
    checks.require(format !== undefined && (MATRIX_FORMATS as readonly string[]).includes(format), `--vector-file must be a ${MATRIX_FORMATS.map((f) => `.${f}`).join(', ')} file, got '${path}'`);
    query = { kind: 'file', path, format: format as MatrixFormat, row };
  }
  checks.done();
  const flags = resolveTargetFlags(values, io.env);

  const base: SearchRequest = {
    ...(values.text === undefined ? {} : { text: values.text }),
    ...(k === undefined ? {} : { k }),
    ...(ef === undefined ? {} : { ef }),
    ...(values.exact ? { exact: true } : values.hnsw ? { exact: false } : {}),
    ...(filter === undefined ? {} : { filter }),
    ...(include === undefined ? {} : { include }),
    ...(alpha === undefined ? {} : { alpha }),
    ...(fusion === undefined ? {} : { fusion }),
  };
  const json = values.json ?? false;
  const { db } = await openTarget(flags, io, { create: false });
  try {
    const collection = db.collection(positionals[0]!);
    if (query.kind !== 'file') {
      const request = query.kind === 'one' ? { ...base, vector: query.vector } : base;
      const started = performance.now();
      const hits = await collection.search(request);
      const took = (performance.now() - started) / 1000;
      io.stdout.write(json ? `${JSON.stringify({ hits: hits.map(hitJson) })}\n` : `${hitTable(hits)}\n`);
      if (!json) io.stderr.write(`${hits.length} hits in ${formatDuration(took)}\n`);
      return EXIT_OK;
    }
    return await searchFile(collection, query, base, json, io);
  } catch (error) {
    if (error instanceof SourceError) throw new CliError(`${query.kind === 'file' ? `${query.path}: ` : ''}${error.message}`);
    throw error;
  } finally {
    await db.close();
  }
}

async function searchFile(collection: TargetCollection, query: Extract<QueryVectors, { kind: 'file' }>, base: SearchRequest, json: boolean, io: CliIo): Promise<number> {
  const matrix = await openMatrix(query.path, query.format);
  const print = (index: number, hits: SearchHit[]) =>
    io.stdout.write(json ? `${JSON.stringify({ query: index, hits: hits.map(hitJson) })}\n` : `query ${index}\n${hitTable(hits)}\n\n`);
  if (query.row !== undefined) {
    const vector = await readRow(matrix, query.row);
    const hits = await collection.search({ ...base, vector });
    io.stdout.write(json ? `${JSON.stringify({ hits: hits.map(hitJson) })}\n` : `${hitTable(hits)}\n`);
    return EXIT_OK;
  }
  const started = performance.now();
  let count = 0;
  for await (const chunk of readRows(matrix)) {
    for (let start = 0; start < chunk.count; start += SEARCHES_IN_FLIGHT) {
      if (io.signal?.aborted) return EXIT_INTERRUPTED;
      const rows = Array.from({ length: Math.min(SEARCHES_IN_FLIGHT, chunk.count - start) }, (_, i) => start + i);
      const results = await Promise.all(
        rows.map((i) => collection.search({ ...base, vector: chunk.data.subarray(i * matrix.dimension, (i + 1) * matrix.dimension) })),
      );
      results.forEach((hits, j) => print(chunk.first + rows[j]!, hits));
      count += rows.length;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  io.stderr.write(`${count} queries in ${formatDuration(seconds)} (${Math.round(count / Math.max(seconds, 1e-6))} queries/s)\n`);
  return EXIT_OK;
}

/** A hit as JSON: vectors become arrays. */
export function hitJson(hit: SearchHit): Record<string, unknown> {
  return hit.vector === undefined ? { ...hit } : { ...hit, vector: Array.from(hit.vector) };
}

function hitTable(hits: readonly SearchHit[]): string {
  if (hits.length === 0) return '(no hits)';
  const columns: Column<{ hit: SearchHit; rank: number }>[] = [
    { header: '#', value: ({ rank }) => String(rank), align: 'right' },
    { header: 'id', value: ({ hit }) => truncate(hit.id, 40) },
    { header: 'score', value: ({ hit }) => formatScore(hit.score), align: 'right' },
  ];
  if (hits.some((hit) => hit.vectorScore !== undefined)) {
    columns.push({ header: 'vector', value: ({ hit }) => (hit.vectorScore === undefined ? '' : formatScore(hit.vectorScore)), align: 'right' });
    columns.push({ header: 'keyword', value: ({ hit }) => (hit.keywordScore === undefined ? '' : formatScore(hit.keywordScore)), align: 'right' });
  }
  if (hits.some((hit) => hit.text !== undefined)) columns.push({ header: 'text', value: ({ hit }) => truncate(hit.text ?? '', 60) });
  if (hits.some((hit) => hit.metadata !== undefined)) columns.push({ header: 'metadata', value: ({ hit }) => (hit.metadata ? truncate(JSON.stringify(hit.metadata), 60) : '') });
  if (hits.some((hit) => hit.vector !== undefined)) {
    columns.push({ header: 'vector', value: ({ hit }) => (hit.vector ? truncate(`[${Array.from(hit.vector).slice(0, 8).map((x) => String(Number(x.toPrecision(4)))).join(', ')}${hit.vector.length > 8 ? ', ...' : ''}]`, 60) : '') });
  }
  return table(hits.map((hit, i) => ({ hit, rank: i + 1 })), columns);
}
