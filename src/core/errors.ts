/**
 * One table of stable error codes. Messages name the expected and the actual
 * values. Core errors carry no HTTP status: the server maps codes to statuses
 * in one place (src/server/error-handler.ts).
 */
export const ERRORS = {
  INVALID_OPTIONS: (problems: readonly string[]) =>
    `Invalid options: ${problems.join('; ')}.`,
  INVALID_ARGUMENT: (what: string, expected: string, actual: unknown) =>
    `Invalid ${what}: expected ${expected}, got ${describe(actual)}.`,
  INVALID_COLLECTION_NAME: (name: unknown) =>
    `Invalid collection name ${describe(name)}: expected 1-64 characters of letters, digits, '_' or '-', starting with a letter or digit.`,
  COLLECTION_NOT_FOUND: (name: string) => `Collection '${name}' does not exist.`,
  COLLECTION_EXISTS: (name: string) => `Collection '${name}' already exists.`,
  ALIAS_NOT_FOUND: (name: string) => `Alias '${name}' does not exist.`,
  ALIAS_EXISTS: (name: string, collection: string) => `'${name}' is already an alias (of collection '${collection}').`,
  DIMENSION_MISMATCH: (where: string, expected: number, actual: number) =>
    `Dimension mismatch at ${where}: expected ${expected}, got ${actual}.`,
  INVALID_VECTOR: (where: string, problem: string) => `Invalid vector at ${where}: ${problem}.`,
  INVALID_ID: (where: string, actual: unknown) =>
    `Invalid id at ${where}: expected a non-empty string of well-formed Unicode (no lone surrogates) of at most 512 UTF-8 bytes, got ${describe(actual)}.`,
  DUPLICATE_ID: (id: string, first: number, second: number) =>
    `Duplicate id '${id}' in one batch: at positions ${first} and ${second}.`,
  INVALID_DOCUMENT: (where: string, problem: string) => `Invalid document at ${where}: ${problem}.`,
  INVALID_FILTER: (path: string, problem: string) => `Invalid filter at ${path}: ${problem}.`,
  DATABASE_CLOSED: () => 'The database is closed.',
  DATABASE_LOCKED: (path: string) =>
    `The data directory ${path} is in use by another open database (this or another process); close it first.`,
  COLLECTION_UNAVAILABLE: (name: string, reason: string) =>
    `Collection '${name}' could not be opened: ${reason}. Other collections are unaffected.`,
  DATA_DAMAGED: (file: string, problem: string, remedy: string) => `The data file ${file} is damaged (${problem}): ${remedy}.`,
  KERNEL_ABORT: (message: string) => `WebAssembly kernel aborted: ${message}.`,
  OUT_OF_MEMORY: (what: string) => `Out of memory: ${what}.`,
  LIMIT_EXCEEDED: (limit: string, what: string, actual: number, max: number, advice: string) =>
    `Limit ${limit} exceeded: ${what} is ${actual}, at most ${max} (${advice}).`,
  DOCUMENT_NOT_FOUND: (collection: string, id: string) => `Document '${id}' does not exist in collection '${collection}'.`,
  REQUEST_ABORTED: (what: string) => `The ${what} was aborted by its caller.`,
  EMBEDDING_FAILED: (model: string, problem: string) => `Embedding with '${model}' failed: ${problem}. Nothing was written.`,
  EMBEDDER_MISMATCH: (collection: string, stored: string, given: string) =>
    `Collection '${collection}' holds vectors of the model '${stored}'; a query or write naming '${given}' would compare vectors of different models.`,
  EMBEDDER_UNAVAILABLE: (collection: string, model: string, reason: string) => `Collection '${collection}' embeds text with '${model}', which this process cannot call: ${reason}.`,
  INDEX_UNAVAILABLE: (name: string, reason: string) =>
    `Collection '${name}' cannot be searched or written: its in-memory index could not be built (${reason}). ` +
    'Its documents can still be read (get, list) and deleted; free memory (or raise memoryLimit) and reopen the database to search it.',

  // Raised by cluster mode (src/cluster); its tests reach each of them (CLUSTER_ERROR_CODES).
  CLUSTER_UNAVAILABLE: (what: string, reason: string) => `The cluster cannot ${what} now: ${reason}; retry shortly.`,

  // Raised by the HTTP layer (src/server); listed here so every reply's code comes from one table.
  INVALID_REQUEST: (problem: string) => `Invalid request: ${problem}.`,
  PAYLOAD_TOO_LARGE: (limit: number) => `Request body is larger than the limit of ${limit} bytes.`,
  UNAUTHORIZED: () => 'Missing or invalid API key: send it as "Authorization: Bearer <key>" or "x-api-key".',
  FORBIDDEN: (what: string) => `The read-only API key cannot ${what}.`,
  RATE_LIMITED: (retryAfterSeconds: number) => `Too many requests: retry after ${retryAfterSeconds} s.`,
  SERVER_BUSY: (what: string, retryAfterSeconds: number) => `The server is busy: ${what}; retry after ${retryAfterSeconds} s.`,
  ROUTE_NOT_FOUND: (method: string, url: string) => `No route ${method} ${url}.`,
  NOT_CONFIGURED: (what: string, how: string) => `This server has no ${what}: ${how}.`,
  INTERNAL_ERROR: () => 'Internal error; it was logged on the server.',
} as const;

/** Codes only the HTTP layer raises; the server's tests reach each of them. */
export const HTTP_ERROR_CODES = [
  'INVALID_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'SERVER_BUSY',
  'ROUTE_NOT_FOUND',
  'NOT_CONFIGURED',
  'INTERNAL_ERROR',
] as const satisfies readonly (keyof typeof ERRORS)[];

/** Codes only cluster mode raises; the cluster tests reach each of them. */
export const CLUSTER_ERROR_CODES = ['CLUSTER_UNAVAILABLE'] as const satisfies readonly (keyof typeof ERRORS)[];

export type ErrorCode = keyof typeof ERRORS;

type ErrorArgs<C extends ErrorCode> = Parameters<(typeof ERRORS)[C]>;

/** The one error type Quiver throws on purpose; `code` is stable, the message is for people. */
export class QuiverError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'QuiverError';
    this.code = code;
  }
}

export function createError<C extends ErrorCode>(code: C, ...args: ErrorArgs<C>): QuiverError {
  const template = ERRORS[code] as (...values: ErrorArgs<C>) => string;
  return new QuiverError(code, template(...args));
}

export function isQuiverError(error: unknown): error is QuiverError {
  return error instanceof QuiverError;
}

function describe(value: unknown): string {
  // A string that is not well-formed Unicode is shown escaped, so the message itself stays valid text.
  if (typeof value === 'string' && /\p{Surrogate}/u.test(value)) return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'string') return value.length > 80 ? `'${value.slice(0, 77)}...'` : `'${value}'`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return `${typeof value} ${String(value)}`;
}
