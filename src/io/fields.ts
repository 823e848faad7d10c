/**
 * What every reader yields, and how a JSONL object or a CSV row becomes a
 * document: the id, vector and text fields are named by the caller, every
 * other field becomes metadata.
 */
import { isPlainObject } from '../core/validate.js';

/** Field (JSONL) or column (CSV) names. */
export interface FieldNames {
  id: string;
  vector: string;
  text: string;
}

export const DEFAULT_FIELDS: Readonly<FieldNames> = Object.freeze({ id: 'id', vector: 'vector', text: 'text' });

/** Where a document or a problem is: a 1-based line (text formats) or a 0-based record (matrix formats), and a field. */
export interface Location {
  line?: number;
  record?: number;
  field?: string;
}

/** A document as read from the file, not yet checked against a collection. */
export interface RawDocument {
  id: string;
  /** Undefined in a keyword-only import. */
  vector: unknown;
  text?: unknown;
  metadata?: Record<string, unknown>;
}

export type SourceItem =
  | { kind: 'document'; at: Location; document: RawDocument }
  | { kind: 'rejected'; at: Location; problem: string };

/**
 * A file that cannot be read on from `at`: a bad header (no location), a
 * truncated or misaligned record. Everything yielded before it was sound.
 */
export class SourceError extends Error {
  readonly at: Location;

  constructor(message: string, at: Location = {}) {
    super(message);
    this.name = 'SourceError';
    this.at = at;
  }
}

/** "line 7, field 'vector'", "record 12", or "" when nothing is known. */
export function describeLocation(at: Location): string {
  const parts: string[] = [];
  if (at.line !== undefined) parts.push(`line ${at.line}`);
  if (at.record !== undefined) parts.push(`record ${at.record}`);
  if (at.field !== undefined) parts.push(`field '${at.field}'`);
  return parts.join(', ');
}

/** A vector in the file's own notation, or the reason it is not one. */
export type VectorParse = { vector: unknown } | { problem: string };

export interface RecordOptions {
  fields: FieldNames;
  /** The id when ids are row numbers; undefined to read the id field. */
  rowId: string | undefined;
  parseVector: (value: unknown) => VectorParse;
  /** Turns a metadata value as read into the value stored; undefined drops the field. */
  metadataValue: (value: unknown) => unknown;
  /**
   * A text of '' and an empty `metadata` object are values, kept as given
   * (JSONL: so a file `quiver export` wrote reads back exactly). Otherwise
   * they mean none (CSV: an empty cell).
   */
  keepEmpty?: boolean;
  /** Documents without vectors: a record with the vector field is rejected (its vector would go nowhere). */
  keywordOnly?: boolean;
}

/**
 * One record's fields as a document. A JSONL `metadata` object is merged
 * into the metadata beside the other fields.
 */
export function recordToItem(record: Record<string, unknown>, line: number, options: RecordOptions): SourceItem {
  const { fields } = options;
  const rejected = (field: string | undefined, problem: string): SourceItem => ({
    kind: 'rejected',
    at: field === undefined ? { line } : { line, field },
    problem,
  });

  let id = options.rowId;
  if (id === undefined) {
    const value = record[fields.id];
    if (value === undefined || value === null || value === '') return rejected(fields.id, `missing id (field '${fields.id}'; see --id-field, or --row-ids to number lines)`);
    if (typeof value === 'number' && Number.isFinite(value)) id = String(value);
    else if (typeof value === 'string') id = value;
    else return rejected(fields.id, `the id must be a string or a number, got ${kindOf(value)}`);
  }

  const rawVector = record[fields.vector];
  const noVector = rawVector === undefined || rawVector === null || rawVector === '';
  let document: RawDocument;
  if (options.keywordOnly) {
    if (!noVector) return rejected(fields.vector, `a keyword-only import takes no vectors (field '${fields.vector}')`);
    document = { id, vector: undefined };
  } else {
    if (noVector) return rejected(fields.vector, `missing vector (field '${fields.vector}'; see --vector-field)`);
    const parsed = options.parseVector(rawVector);
    if ('problem' in parsed) return rejected(fields.vector, parsed.problem);
    document = { id, vector: parsed.vector };
  }
  const text = record[fields.text];
  if (text !== undefined && text !== null && (text !== '' || options.keepEmpty === true)) document.text = text;

  const metadata: Record<string, unknown> = {};
  let hasMetadata = false;
  const put = (key: string, value: unknown) => {
    const stored = options.metadataValue(value);
    if (stored === undefined) return;
    // defineProperty keeps an own "__proto__" key as data instead of setting the prototype.
    Object.defineProperty(metadata, key, { value: stored, enumerable: true, writable: true, configurable: true });
    hasMetadata = true;
  };
  for (const [key, value] of Object.entries(record)) {
    if (key === fields.vector || key === fields.text || (key === fields.id && options.rowId === undefined)) continue;
    if (key === 'metadata' && isPlainObject(value)) {
      if (options.keepEmpty === true) hasMetadata = true;
      for (const [inner, innerValue] of Object.entries(value)) put(inner, innerValue);
    } else {
      put(key, value);
    }
  }
  if (hasMetadata) document.metadata = metadata;
  return { kind: 'document', at: { line }, document };
}

export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
