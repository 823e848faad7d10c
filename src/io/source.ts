/**
 * Document sources for bulk import: one streaming reader per file format,
 * each yielding documents with the line or record they came from, or the
 * reason a line was rejected. No reader holds more than a chunk of its file.
 *
 * | format            | ids                         | vectors                   | per-line problems  |
 * |-------------------|-----------------------------|---------------------------|--------------------|
 * | jsonl (.gz)       | id field, or line - 1       | array, or base64 float32  | rejected, go on    |
 * | csv, tsv (.gz)    | id column, or line - 2      | "[1, 2]" or "1 2" / "1;2" | rejected, go on    |
 * | fvecs/bvecs/ivecs | row number "0", "1", ...    | float32 / uint8 / int32   | thrown: misaligned |
 * | npy               | row number                  | '<f4' or '<f8', C order   | thrown: truncated  |
 *
 * Values are only shaped here; the importer checks them against the
 * collection (dimension, finiteness, id length) with the core validators.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { readCsv } from './csv.js';
import { readJsonl } from './jsonl.js';
import { DEFAULT_FIELDS, SourceError, type FieldNames, type SourceItem } from './fields.js';
import { readRows, MATRIX_FORMATS, type MatrixFile, type MatrixFormat } from './matrix.js';
import { openNpy } from './npy.js';
import { openVecs } from './vecs.js';

export { DEFAULT_FIELDS, SourceError, describeLocation, type FieldNames, type Location, type RawDocument, type SourceItem } from './fields.js';

export const SOURCE_FORMATS = ['jsonl', 'csv', 'fvecs', 'bvecs', 'ivecs', 'npy'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

export interface SourceOptions {
  /** Default: from the file name (`.jsonl`/`.ndjson`, `.csv`/`.tsv`, `.fvecs`, `.bvecs`, `.ivecs`, `.npy`; text formats may end in `.gz`). */
  format?: SourceFormat;
  fields?: Partial<FieldNames>;
  /** JSONL/CSV: number documents by their line instead of reading an id field (stable across re-runs). */
  rowIds?: boolean;
  /** CSV field separator; default `,` (`\t` for `.tsv`). */
  delimiter?: string;
  /** JSONL/CSV: documents without vectors (a keyword-only collection): no vector field is read, and a record with one is rejected. */
  keywordOnly?: boolean;
}

export interface DocumentSource {
  readonly format: SourceFormat;
  readonly path: string;
  /** Vector length from the header (matrix formats); undefined for JSONL and CSV. */
  readonly dimension: number | undefined;
  /** Records the header declares (matrix formats). */
  readonly count: number | undefined;
  /** File size in bytes (compressed size for `.gz`). */
  readonly size: number;
  /** Bytes of the file consumed so far, for progress: moves from 0 to `size`. */
  readonly position: number;
  /** The documents in file order. Throws SourceError where the file cannot be read on. */
  items(): AsyncGenerator<SourceItem>;
}

/** The format a file name implies, or undefined. */
export function formatOf(path: string): SourceFormat | undefined {
  const name = basename(path).toLowerCase().replace(/\.gz$/, '');
  const extension = name.slice(name.lastIndexOf('.') + 1);
  if (extension === 'jsonl' || extension === 'ndjson') return 'jsonl';
  if (extension === 'csv' || extension === 'tsv') return 'csv';
  return (SOURCE_FORMATS as readonly string[]).includes(extension) ? (extension as SourceFormat) : undefined;
}

export function isGzip(path: string): boolean {
  return path.toLowerCase().endsWith('.gz');
}

/** Opens `path` for reading documents; matrix headers are read and checked now. */
export async function openSource(path: string, options: SourceOptions = {}): Promise<DocumentSource> {
  const format = options.format ?? formatOf(path);
  if (format === undefined) {
    throw new SourceError(`${path}: cannot tell the format from the name; pass --format (${SOURCE_FORMATS.join(', ')})`);
  }
  const fields: FieldNames = { ...DEFAULT_FIELDS, ...options.fields };
  if ((MATRIX_FORMATS as readonly string[]).includes(format)) {
    if (options.keywordOnly) throw new SourceError(`${path}: a ${format} file holds only vectors, and a keyword-only import reads text and metadata`);
    if (isGzip(path)) throw new SourceError(`${path}: compressed ${format} files are not supported; decompress it first`);
    const matrix = await openMatrix(path, format as MatrixFormat);
    return matrixDocuments(matrix);
  }
  const { size } = await stat(path);
  let position = 0;
  const progress = (bytes: number) => {
    position = bytes;
  };
  const read =
    format === 'jsonl'
      ? () => readJsonl(path, { fields, rowIds: options.rowIds ?? false, keywordOnly: options.keywordOnly ?? false, progress })
      : () => readCsv(path, { fields, rowIds: options.rowIds ?? false, keywordOnly: options.keywordOnly ?? false, delimiter: options.delimiter ?? defaultDelimiter(path), progress });
  return {
    format,
    path,
    dimension: undefined,
    count: undefined,
    size,
    get position() {
      return position;
    },
    items: read,
  };
}

export async function openMatrix(path: string, format: MatrixFormat): Promise<MatrixFile> {
  return format === 'npy' ? openNpy(path) : openVecs(path, format);
}

/** A matrix as documents whose ids are row numbers, so a re-run writes the same ids. */
export function matrixDocuments(matrix: MatrixFile): DocumentSource {
  let position = 0;
  return {
    format: matrix.format,
    path: matrix.path,
    dimension: matrix.dimension,
    count: matrix.count,
    size: matrix.size,
    get position() {
      return position;
    },
    async *items(): AsyncGenerator<SourceItem> {
      const { dimension, headerBytes, rowBytes } = matrix;
      for await (const chunk of readRows(matrix)) {
        for (let i = 0; i < chunk.count; i++) {
          const record = chunk.first + i;
          position = headerBytes + (record + 1) * rowBytes;
          yield { kind: 'document', at: { record }, document: { id: String(record), vector: chunk.data.subarray(i * dimension, (i + 1) * dimension) } };
        }
      }
      position = matrix.size;
    },
  };
}

function defaultDelimiter(path: string): string {
  return basename(path).toLowerCase().replace(/\.gz$/, '').endsWith('.tsv') ? '\t' : ',';
}
