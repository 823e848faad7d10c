/**
 * One HTTP exchange with the server: URL, API key, JSON in and out, a
 * deadline, and every failure turned into an error with a stable code.
 * Error replies (`{ statusCode, code, error, message }`) become
 * QuiverHttpError, a QuiverError carrying the server's code and the status;
 * failures to get a reply at all become QuiverClientError.
 */
import { createError, QuiverError, type ErrorCode } from '../core/errors.js';
import { ROUTES, type RouteName } from './routes.js';

/** Milliseconds a request may take, reply body included, before it fails with TIMEOUT. Default 30 s. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Largest `timeoutMs`: the timer limit of 2^31 - 1 ms (about 24.8 days). */
export const MAX_TIMEOUT_MS = 2_147_483_647;

export interface QuiverClientOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8080`; a path prefix (behind a proxy) is kept. */
  url: string;
  /** Sent as `Authorization: Bearer <key>`; needed once the server has `QUIVER_API_KEY`. */
  apiKey?: string;
  /** The fetch to use (tests, proxies, instrumentation). Default: the global fetch. */
  fetch?: typeof fetch;
  /** Per request, 1 to MAX_TIMEOUT_MS. Default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** A QuiverError the server replied with: its stable `code` and message, and the HTTP status. */
export class QuiverHttpError extends QuiverError {
  readonly status: number;
  /** From `retry-after` on RATE_LIMITED replies. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, status: number, retryAfterSeconds?: number) {
    super(code, message);
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * No reply from the server: `NETWORK_ERROR` (refused, reset, DNS...; the
 * cause is attached), `TIMEOUT` (no complete reply within `timeoutMs`), or
 * `BAD_RESPONSE` (a reply that is not Quiver's JSON, e.g. a proxy's HTML error page).
 */
export type ClientErrorCode = 'NETWORK_ERROR' | 'TIMEOUT' | 'BAD_RESPONSE';

export class QuiverClientError extends Error {
  readonly code: ClientErrorCode;
  /** The HTTP status of a BAD_RESPONSE. */
  readonly status: number | undefined;

  constructor(code: ClientErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'QuiverClientError';
    this.code = code;
    this.status = options.status;
  }
}

const OPTION_KEYS = new Set(['url', 'apiKey', 'fetch', 'timeoutMs']);

export class Transport {
  /** The base URL without a trailing slash. */
  readonly url: string;
  readonly #fetch: typeof fetch;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  #closed = false;

  constructor(options: QuiverClientOptions) {
    if (typeof options !== 'object' || options === null) throw createError('INVALID_OPTIONS', ['client options must be an object']);
    const { url, apiKey, fetch: fetchOption, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
    const problems = Object.keys(options).filter((key) => !OPTION_KEYS.has(key)).map((key) => `unknown option '${key}'`);
    const base = parseBaseUrl(url, problems);
    if (apiKey !== undefined && (typeof apiKey !== 'string' || apiKey.length === 0 || /[\r\n]/.test(apiKey))) {
      problems.push('apiKey must be a non-empty string on one line');
    }
    if (fetchOption !== undefined && typeof fetchOption !== 'function') problems.push('fetch must be a function');
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
      problems.push(`timeoutMs must be an integer from 1 to ${MAX_TIMEOUT_MS}, got ${String(timeoutMs)}`);
    }
    const fetchFunction = fetchOption ?? globalThis.fetch;
    if (typeof fetchFunction !== 'function') problems.push('no global fetch: pass options.fetch');
    if (problems.length > 0) throw createError('INVALID_OPTIONS', problems);
    this.url = base!;
    this.#fetch = fetchFunction;
    this.#apiKey = apiKey;
    this.#timeoutMs = timeoutMs;
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
  }

  /**
   * Sends one request to `route` (with `{name}` filled in) and resolves to
   * the reply's JSON (undefined for an empty body). Replies with a status
   * outside 2xx throw, unless listed in `allow`.
   */
  async send(route: RouteName, name: string | undefined, body?: unknown, allow: readonly number[] = []): Promise<{ status: number; json: unknown }> {
    if (this.#closed) throw createError('DATABASE_CLOSED');
    const { method, path } = ROUTES[route];
    const url = this.url + (name === undefined ? path : path.replace('{name}', encodeURIComponent(name)));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#apiKey !== undefined) headers.authorization = `Bearer ${this.#apiKey}`;
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(this.#timeoutMs) };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const fetchFunction = this.#fetch;
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const response = await fetchFunction(url, init);
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      text = await response.text();
    } catch (error) {
      throw this.#failure(error, `${method} ${url}`);
    }
    const json = text.length === 0 ? undefined : parseJson(text);
    if ((status >= 200 && status < 300) || allow.includes(status)) {
      if (json === BAD_JSON) throw badResponse(status, `${method} ${url}`, text);
      return { status, json };
    }
    if (!isErrorBody(json)) throw badResponse(status, `${method} ${url}`, text);
    const seconds = retryAfter === null ? undefined : Number(retryAfter);
    throw new QuiverHttpError(json.code as ErrorCode, json.message, status, Number.isFinite(seconds) ? seconds : undefined);
  }

  #failure(error: unknown, request: string): Error {
    if (error instanceof QuiverError) return error;
    const name = (error as { name?: unknown } | null)?.name;
    if (name === 'TimeoutError') {
      return new QuiverClientError('TIMEOUT', `${request}: no complete reply within ${this.#timeoutMs} ms.`, { cause: error });
    }
    const cause = (error as { cause?: unknown } | null)?.cause ?? error;
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new QuiverClientError('NETWORK_ERROR', `${request}: the server could not be reached (${reason}).`, { cause: error });
  }
}

const BAD_JSON = Symbol('bad JSON');

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return BAD_JSON;
  }
}

function isErrorBody(json: unknown): json is { code: string; message: string } {
  const body = json as { code?: unknown; message?: unknown } | null;
  return typeof body === 'object' && body !== null && typeof body.code === 'string' && typeof body.message === 'string';
}

function badResponse(status: number, request: string, text: string): QuiverClientError {
  const excerpt = text.length > 200 ? `${text.slice(0, 197)}...` : text;
  return new QuiverClientError('BAD_RESPONSE', `${request}: status ${status} with a body that is not Quiver's JSON: ${JSON.stringify(excerpt)}.`, { status });
}

function parseBaseUrl(url: unknown, problems: string[]): string | undefined {
  if (typeof url !== 'string') {
    problems.push('url must be a string such as http://127.0.0.1:8080');
    return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    problems.push(`url must be an absolute http(s) URL, got '${url}'`);
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') problems.push(`url must use http or https, got ${parsed.protocol}`);
  if (parsed.search !== '' || parsed.hash !== '') problems.push('url must have no query or fragment');
  if (parsed.username !== '' || parsed.password !== '') problems.push('url must carry no credentials: pass apiKey');
  return parsed.origin + parsed.pathname.replace(/\/+$/, '');
}
