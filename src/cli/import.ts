/**
 * `quiver import <collection> <file>`: streams a file into a collection in
 * batches. Each document is checked with the core validators before it is
 * batched, so a bad line is reported with its line number and field while
 * the good ones go in. Before a batch is written its ids are looked up and
 * those already stored are skipped: re-running an interrupted import writes
 * only what is missing and ends with exactly the file's documents (a batch
 * is one transaction, so a kill leaves whole batches). The first occurrence
 * of an id in a file wins; later ones are counted as skipped.
 */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { CollectionOptions, DocumentInput, Metric } from '../index.js';
import { resolveCollectionOptions } from '../core/collection/collection-options.js';
import { isQuiverError } from '../core/errors.js';
import { COLLECTION_NAME_PATTERN, DEFAULT_METRIC, MAX_BATCH_SIZE, MAX_DIMENSION, MAX_GET_IDS, MAX_EF, MAX_HNSW_M, MAX_SEGMENTS, METRICS, QUANTIZATIONS } from '../core/options.js';
import { checkId, checkMetadata, checkText, checkVector } from '../core/validate.js';
import {
  DEFAULT_FIELDS,
  describeLocation,
  openSource,
  SOURCE_FORMATS,
  SourceError,
  type DocumentSource,
  type FieldNames,
  type Location,
  type RawDocument,
  type SourceFormat,
  type SourceItem,
  type SourceOptions,
} from '../io/source.js';
import {
  Checks,
  CliError,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_REJECTED,
  parseCommand,
  resolveTargetFlags,
  TARGET_OPTIONS,
  TARGET_USAGE,
} from './args.js';
import { formatCount, formatDuration } from './format.js';
import { createProgress, type ProgressState } from './progress.js';
import { openTarget, type CliIo, type TargetCollection, type TargetDatabase } from './target.js';

/** Documents per batch: one upsert (one transaction, one request) each. */
export const DEFAULT_BATCH = 1_000;
/** Rejected lines listed one by one (stderr, and `rejections` in --json); the rest are counted. */
export const MAX_LISTED_REJECTIONS = 100;

export const IMPORT_USAGE = `usage: quiver import <collection> <file> [options]

Reads JSON Lines (.jsonl, .ndjson), CSV/TSV with a header (.csv, .tsv; text formats may be .gz),
TEXMEX vectors (.fvecs, .bvecs, .ivecs) or NumPy float32/float64 matrices (.npy) into <collection>,
creating it when missing. Ids already stored are skipped, so re-running an interrupted import
resumes it. Matrix rows get the ids "0", "1", ...

Input:
  --format F          ${SOURCE_FORMATS.join('|')} (default: from the file name)
  --id-field NAME     JSONL field / CSV column holding the id (default ${DEFAULT_FIELDS.id})
  --vector-field NAME the vector: JSON array, base64 float32 (JSONL), or "1 2 3" (CSV) (default ${DEFAULT_FIELDS.vector})
  --text-field NAME   the text, keyword-indexed (default ${DEFAULT_FIELDS.text}); other fields become metadata
  --row-ids           JSONL/CSV without ids: number documents by line (line - 1; CSV line - 2)
  --delimiter C       CSV separator (default , or tab for .tsv)
  --batch N           documents per write (default ${DEFAULT_BATCH})
  --strict            stop at the first bad line (default: report it, import the rest)
  --keyword-only      JSONL/CSV of text and metadata, no vectors: into a keyword-only collection
                      (created without a dimension; keyword search and filters)

New collection (ignored when it exists, except that a conflicting --dimension or --metric is an error):
  --dimension N       vector length (default: from the file)
  --metric M          ${METRICS.join('|')} (default ${DEFAULT_METRIC})
  --quantization Q    ${QUANTIZATIONS.join('|')}
  --hnsw-m N, --hnsw-ef-construction N, --hnsw-ef N   HNSW graph settings
  --hnsw-segments N                                    graphs the HNSW index is split into (default: cores)

${TARGET_USAGE}

Exit status: 0 done, 1 failed, 2 bad arguments, 3 some lines rejected, 130 interrupted.
Example: quiver import sift siftsmall_base.fvecs --metric l2`;

const IMPORT_OPTIONS = {
  ...TARGET_OPTIONS,
  format: { type: 'string' },
  'id-field': { type: 'string' },
  'vector-field': { type: 'string' },
  'text-field': { type: 'string' },
  'row-ids': { type: 'boolean' },
  delimiter: { type: 'string' },
  batch: { type: 'string' },
  strict: { type: 'boolean' },
  'keyword-only': { type: 'boolean' },
  dimension: { type: 'string' },
  metric: { type: 'string' },
  quantization: { type: 'string' },
  'hnsw-m': { type: 'string' },
  'hnsw-ef-construction': { type: 'string' },
  'hnsw-ef': { type: 'string' },
  'hnsw-segments': { type: 'string' },
} as const;

/** Options of a new collection; `dimension` and `metric` are also checked against an existing one. */
export type NewCollectionOptions = Partial<CollectionOptions>;

export interface ImportOptions {
  collection: string;
  file: string;
  source?: SourceOptions;
  create?: NewCollectionOptions;
  batch?: number;
  strict?: boolean;
  /** Documents without vectors, into a keyword-only collection (made so when new; an existing one must be). */
  keywordOnly?: boolean;
}

export interface Rejection {
  line?: number;
  record?: number;
  field?: string;
  /** The QuiverError code when the core validators or the server rejected the document. */
  code?: string;
  /** A whole sentence, location first. */
  message: string;
}

export type StopReason = 'strict' | 'unreadable' | 'interrupted';

export interface ImportSummary {
  collection: string;
  file: string;
  format: SourceFormat;
  created: boolean;
  /** Null for a keyword-only collection (and when nothing was written to a new one). */
  dimension: number | null;
  metric: Metric | null;
  keywordOnly: boolean;
  /** Lines or records read: imported + skipped + rejected, plus documents read but not yet written when interrupted. */
  read: number;
  imported: number;
  /** Already stored (an earlier run, or an earlier line of this file with the same id). */
  skipped: number;
  rejected: number;
  /** The first MAX_LISTED_REJECTIONS rejections. */
  rejections: Rejection[];
  /** Why the import ended before the end of the file, or null. */
  stopped: StopReason | null;
  seconds: number;
  /** Lines or records read per second. */
  rate: number;
}

export interface ImportHooks {
  /** Called once the file is open (its size is known). */
  onStart?(source: DocumentSource): void;
  onCreated?(options: { dimension: number; metric: Metric } | { keywordOnly: true }): void;
  onRejected?(rejection: Rejection, index: number): void;
  /** After every batch. */
  onProgress?(state: ProgressState): void;
  /** Stops the import before the next document; what was written stays. */
  signal?: AbortSignal;
}

/** Codes that blame a document rather than the request or the server. */
const DOCUMENT_ERRORS = new Set(['INVALID_ID', 'INVALID_VECTOR', 'INVALID_DOCUMENT', 'DIMENSION_MISMATCH', 'DUPLICATE_ID']);

interface Pending {
  document: DocumentInput;
  at: Location;
}

/** Imports `options.file` into `options.collection` of `db`. Throws for a file or collection it cannot use at all. */
export async function importFile(db: TargetDatabase, options: ImportOptions, hooks: ImportHooks = {}): Promise<ImportSummary> {
  const started = performance.now();
  const name = options.collection;
  const batchSize = options.batch ?? DEFAULT_BATCH;
  const strict = options.strict ?? false;
  const create = options.create ?? {};
  const fields: FieldNames = { ...DEFAULT_FIELDS, ...options.source?.fields };
  const status = (await db.listCollections()).find((entry) => entry.name === name);
  if (status?.state === 'unavailable') throw new CliError(`collection '${name}' is unavailable: ${status.reason}`);
  // An existing keyword-only collection takes text and metadata without being told.
  const keywordOnly = options.keywordOnly === true || status?.keywordOnly === true;
  if (keywordOnly && status !== undefined && status.keywordOnly !== true) {
    throw new CliError(`collection '${name}' holds vectors (dimension ${status.dimension}): --keyword-only imports into a collection without them`);
  }
  if (keywordOnly && (create.dimension !== undefined || create.metric !== undefined || create.quantization !== undefined || create.hnsw !== undefined)) {
    throw new CliError('--keyword-only makes a collection without vectors: --dimension, --metric, --quantization and --hnsw-* do not apply');
  }
  const source = await openSource(options.file, { ...options.source, keywordOnly });

  let dimension: number | undefined;
  let metric: Metric = DEFAULT_METRIC;
  let collection: TargetCollection | undefined;
  if (status !== undefined) {
    dimension = status.dimension;
    metric = status.metric ?? DEFAULT_METRIC;
    if (create.dimension !== undefined && create.dimension !== dimension) {
      throw new CliError(`collection '${name}' has dimension ${dimension}, not ${create.dimension} (--dimension)`);
    }
    if (create.metric !== undefined && create.metric !== metric) {
      throw new CliError(`collection '${name}' uses metric ${metric}, not ${create.metric} (--metric)`);
    }
    collection = db.collection(name);
  } else if (!keywordOnly) {
    dimension = create.dimension ?? source.dimension;
    metric = create.metric ?? DEFAULT_METRIC;
    // Bad settings fail now, not after the first batch was read.
    resolveCollectionOptions({ ...create, dimension: dimension ?? 1, metric });
  }
  if (source.dimension !== undefined && dimension !== undefined && source.dimension !== dimension) {
    throw new CliError(
      `${source.path} holds vectors of dimension ${source.dimension}, but ${status ? `collection '${name}' has` : '--dimension says'} ${dimension}`,
    );
  }
  hooks.onStart?.(source);

  let read = 0;
  let imported = 0;
  let skipped = 0;
  let rejected = 0;
  let created = false;
  let stopped: StopReason | null = null;
  const rejections: Rejection[] = [];
  const reject = (at: Location, message: string, code?: string) => {
    const rejection: Rejection = { ...at, ...(code === undefined ? {} : { code }), message };
    if (rejections.length < MAX_LISTED_REJECTIONS) rejections.push(rejection);
    hooks.onRejected?.(rejection, rejected);
    rejected++;
  };

  /** The document checked against the collection, or why it cannot be stored. */
  const check = (raw: RawDocument, at: Location): DocumentInput | undefined => {
    const where = (field: string) => describeLocation(at.line === undefined ? at : { ...at, field });
    if (!keywordOnly && dimension === undefined) dimension = inferDimension(raw.vector);
    if (!keywordOnly && dimension === undefined) {
      reject(at, `${where(fields.vector)}: expected a non-empty array of numbers (the collection's dimension comes from the first vector)`, 'INVALID_VECTOR');
      return undefined;
    }
    let field = fields.id;
    try {
      const id = checkId(raw.id, where(field));
      field = fields.vector;
      const document: DocumentInput = keywordOnly ? { id } : { id, vector: checkVector(raw.vector, dimension!, where(field), metric === 'cosine') };
      field = fields.text;
      const text = checkText(raw.text, where(field));
      if (text !== undefined) document.text = text;
      field = 'metadata';
      const metadata = checkMetadata(raw.metadata, where(field));
      if (metadata !== undefined) document.metadata = metadata.value;
      return document;
    } catch (error) {
      if (!isQuiverError(error)) throw error;
      reject(at.line === undefined ? at : { ...at, field }, error.message, error.code);
      return undefined;
    }
  };

  const open = async (): Promise<TargetCollection> => {
    if (collection !== undefined) return collection;
    const settings = keywordOnly ? { text: create.text, bm25: create.bm25 } : { ...create, dimension: dimension!, metric };
    try {
      collection = await db.createCollection(name, settings);
      created = true;
      hooks.onCreated?.(keywordOnly ? { keywordOnly: true } : { dimension: dimension!, metric });
    } catch (error) {
      // Created meanwhile by someone else (through a server): use it.
      if (codeOf(error) !== 'COLLECTION_EXISTS') throw error;
      collection = db.collection(name);
    }
    return collection;
  };

  /**
   * Upserts in file order. A batch the target rejects for a document is
   * halved until the document is found and rejected alone; with --strict
   * nothing after it is written. Returns true to stop.
   */
  const write = async (target: TargetCollection, pending: readonly Pending[]): Promise<boolean> => {
    if (pending.length === 0) return false;
    try {
      await target.upsert(pending.map((entry) => entry.document));
      imported += pending.length;
      return false;
    } catch (error) {
      const code = codeOf(error);
      const tooLarge = code === 'PAYLOAD_TOO_LARGE';
      if (!tooLarge && !DOCUMENT_ERRORS.has(code ?? '')) throw error;
      if (pending.length === 1) {
        if (tooLarge) throw error;
        reject(pending[0]!.at, `${describeLocation(pending[0]!.at)}: ${(error as Error).message}`, code);
        return strict;
      }
      const half = Math.ceil(pending.length / 2);
      return (await write(target, pending.slice(0, half))) || (await write(target, pending.slice(half)));
    }
  };

  const batch: Pending[] = [];
  const batchIds = new Set<string>();
  const flush = async (): Promise<boolean> => {
    if (batch.length === 0) return false;
    const pending = batch.splice(0);
    batchIds.clear();
    const target = await open();
    const stored = await whichStored(target, pending.map((entry) => entry.document.id));
    const missing = pending.filter((_, i) => !stored[i]);
    skipped += pending.length - missing.length;
    const stop = await write(target, missing);
    hooks.onProgress?.({ position: source.position, documents: read });
    return stop;
  };

  const items = source.items();
  let failure: unknown;
  try {
    for (;;) {
      if (hooks.signal?.aborted) {
        stopped = 'interrupted';
        break;
      }
      let next: IteratorResult<SourceItem>;
      try {
        next = await items.next();
      } catch (error) {
        failure = error;
        break;
      }
      if (next.done) break;
      const item = next.value;
      read++;
      if (item.kind === 'rejected') {
        reject(item.at, `${describeLocation(item.at)}: ${item.problem}`);
        if (strict) {
          stopped = 'strict';
          break;
        }
        continue;
      }
      const document = check(item.document, item.at);
      if (document === undefined) {
        if (strict) {
          stopped = 'strict';
          break;
        }
        continue;
      }
      if (batchIds.has(document.id)) {
        skipped++;
        continue;
      }
      batchIds.add(document.id);
      batch.push({ document, at: item.at });
      if (batch.length >= batchSize && (await flush())) {
        stopped = 'strict';
        break;
      }
    }
    // What was read before a bad line, a truncated record or a read error is still written.
    if (stopped !== 'interrupted' && (await flush())) stopped = 'strict';
  } finally {
    await items.return(undefined);
  }
  if (failure !== undefined) {
    if (!(failure instanceof SourceError) || (failure.at.line === undefined && failure.at.record === undefined)) throw failure;
    read++;
    reject(failure.at, `${describeLocation(failure.at)}: ${failure.message}`);
    stopped = 'unreadable';
  }

  const seconds = (performance.now() - started) / 1000;
  return {
    collection: name,
    file: options.file,
    format: source.format,
    created,
    dimension: collection === undefined || keywordOnly ? null : dimension!,
    metric: collection === undefined || keywordOnly ? null : metric,
    keywordOnly,
    read,
    imported,
    skipped,
    rejected,
    rejections,
    stopped,
    seconds,
    rate: read / Math.max(seconds, 1e-6),
  };
}

/** The `quiver import` command. */
export async function runImport(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, IMPORT_OPTIONS, { min: 2, max: 2, names: '<collection> <file>' });
  if (values.help) {
    io.stdout.write(`${IMPORT_USAGE}\n`);
    return EXIT_OK;
  }
  const [collection, file] = positionals as [string, string];
  const checks = new Checks();
  checks.require(COLLECTION_NAME_PATTERN.test(collection), `collection name '${collection}' must be 1-64 letters, digits, '_' or '-', starting with a letter or digit`);
  const format = checks.choice(values.format, 'format', SOURCE_FORMATS);
  const metric = checks.choice(values.metric, 'metric', METRICS);
  const quantization = checks.choice(values.quantization, 'quantization', QUANTIZATIONS);
  const dimension = checks.integer(values.dimension, 'dimension', 1, MAX_DIMENSION);
  const batch = checks.integer(values.batch, 'batch', 1, MAX_BATCH_SIZE) ?? DEFAULT_BATCH;
  const m = checks.integer(values['hnsw-m'], 'hnsw-m', 2, MAX_HNSW_M);
  const efConstruction = checks.integer(values['hnsw-ef-construction'], 'hnsw-ef-construction', 1, MAX_EF);
  const ef = checks.integer(values['hnsw-ef'], 'hnsw-ef', 1, MAX_EF);
  const segments = checks.integer(values['hnsw-segments'], 'hnsw-segments', 1, MAX_SEGMENTS);
  const idField = checks.nonEmpty(values['id-field'], 'id-field');
  const vectorField = checks.nonEmpty(values['vector-field'], 'vector-field');
  const textField = checks.nonEmpty(values['text-field'], 'text-field');
  const delimiter = values.delimiter === '\\t' ? '\t' : values.delimiter;
  checks.require(delimiter === undefined || delimiter.length === 1, `--delimiter must be one character (or \\t), got '${values.delimiter}'`);
  checks.done();
  const flags = resolveTargetFlags(values, io.env);

  if (!existsSync(file) || !statSync(file).isFile()) throw new CliError(`${file}: no such file`);
  const hnsw = { ...(m === undefined ? {} : { m }), ...(efConstruction === undefined ? {} : { efConstruction }), ...(ef === undefined ? {} : { ef }), ...(segments === undefined ? {} : { segments }) };
  const options: ImportOptions = {
    collection,
    file,
    source: {
      ...(format === undefined ? {} : { format }),
      fields: { ...(idField === undefined ? {} : { id: idField }), ...(vectorField === undefined ? {} : { vector: vectorField }), ...(textField === undefined ? {} : { text: textField }) },
      rowIds: values['row-ids'] ?? false,
      ...(delimiter === undefined ? {} : { delimiter }),
    },
    create: {
      ...(dimension === undefined ? {} : { dimension }),
      ...(metric === undefined ? {} : { metric }),
      ...(quantization === undefined ? {} : { quantization }),
      ...(Object.keys(hnsw).length === 0 ? {} : { hnsw }),
    },
    batch,
    strict: values.strict ?? false,
    keywordOnly: values['keyword-only'] ?? false,
  };

  const { db, where } = await openTarget(flags, io, { create: true });
  let progress: ReturnType<typeof createProgress> | undefined;
  let summary: ImportSummary;
  let closing = 0;
  try {
    summary = await importFile(db, options, {
      onStart: (source) => {
        progress = createProgress(io, source.size);
      },
      onCreated: (made) => progress?.log(
        `quiver: created collection '${collection}' (${'keywordOnly' in made ? 'keyword-only: text and metadata' : `dimension ${made.dimension}, metric ${made.metric}`}) in ${where}`,
      ),
      onRejected: (rejection, index) => {
        if (index < MAX_LISTED_REJECTIONS) progress?.log(`quiver: ${rejection.message}`);
        else if (index === MAX_LISTED_REJECTIONS) progress?.log(`quiver: more rejected lines follow; they are counted, not listed`);
      },
      onProgress: (state) => progress?.update(state),
      ...(io.signal === undefined ? {} : { signal: io.signal }),
    });
  } catch (error) {
    if (error instanceof SourceError) throw new CliError(error.message.startsWith(file) ? error.message : `${file}: ${error.message}`);
    throw error;
  } finally {
    progress?.stop();
    closing = performance.now();
    await db.close();
  }
  const closeSeconds = (performance.now() - closing) / 1000;

  if (values.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
  else io.stdout.write(`${describeSummary(summary, basename(file), closeSeconds)}\n`);
  if (summary.stopped === 'interrupted') return EXIT_INTERRUPTED;
  return summary.rejected > 0 ? EXIT_REJECTED : EXIT_OK;
}

function describeSummary(summary: ImportSummary, file: string, closeSeconds: number): string {
  const { imported, skipped, rejected, read, seconds } = summary;
  const lines = [
    `${summary.collection}: imported ${formatCount(imported)} of ${formatCount(read)} documents read from ${file} in ${formatDuration(seconds)}` +
      ` (${formatCount(summary.rate)} docs/s${closeSeconds >= 0.5 ? `; closing took ${formatDuration(closeSeconds)}` : ''})`,
    `  skipped ${formatCount(skipped)} already stored, rejected ${formatCount(rejected)}`,
  ];
  const first = summary.rejections[0];
  if (summary.stopped === 'strict' && first) lines.push(`  stopped at ${describeLocation(first)} (--strict): nothing after it was imported`);
  else if (summary.stopped === 'unreadable') lines.push(`  stopped: the file cannot be read past ${describeLocation(summary.rejections.at(-1) ?? {})}`);
  else if (summary.stopped === 'interrupted') lines.push('  interrupted: run the same command again to resume (stored documents are skipped)');
  if (rejected > 0 && summary.stopped !== 'interrupted') lines.push('  fix the rejected lines and re-run: documents already stored are skipped');
  return lines.join('\n');
}

function inferDimension(vector: unknown): number | undefined {
  const length = Array.isArray(vector) || vector instanceof Float32Array ? vector.length : 0;
  return length > 0 ? length : undefined;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Which of `ids` the collection holds, asked MAX_GET_IDS at a time and without their fields. */
async function whichStored(target: TargetCollection, ids: readonly string[]): Promise<boolean[]> {
  const stored: boolean[] = [];
  for (let from = 0; from < ids.length; from += MAX_GET_IDS) {
    for (const document of await target.getMany(ids.slice(from, from + MAX_GET_IDS), { include: [] })) stored.push(document !== null);
  }
  return stored;
}
