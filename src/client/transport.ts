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
/** Retries of a request the server turned away for now (RATE_LIMITED, SERVER_BUSY) or that never reached it. */
export const DEFAULT_RETRIES = 3;
export const MAX_RETRIES = 10;
/** First wait before a retry without Retry-After; it doubles each time, with jitter. */
export const DEFAULT_RETRY_DELAY_MS = 250;
/** Longest wait before one retry, Retry-After included: a longer one fails at once instead. */
export const MAX_RETRY_WAIT_MS = 30_000;

export interface QuiverClientOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8080`; a path prefix (behind a proxy) is kept. */
  url: string;
  /** Sent as `Authorization: Bearer <key>`; needed once the server has `QUIVER_API_KEY`. */
  apiKey?: string;
  /** The fetch to use (tests, proxies, instrumentation). Default: the global fetch. */
  fetch?: typeof fetch;
  /** Per request, 1 to MAX_TIMEOUT_MS. Default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
  /**
   * Times a request is sent again, 0 to MAX_RETRIES (default DEFAULT_RETRIES),
   * when the server answered RATE_LIMITED (429) or SERVER_BUSY (503), after
   * its Retry-After, or when the connection was refused (nothing was sent):
   * those are safe for every call. A request that may have reached the
   * server (a reset, a timeout) is not sent again.
   */
  retries?: number;
  /** First wait before a retry without Retry-After, in ms (default DEFAULT_RETRY_DELAY_MS); doubles each time, with jitter. */
  retryDelayMs?: number;
}

/** A QuiverError the server replied with: its stable `code` and message, and the HTTP status. */
export class QuiverHttpError extends QuiverError {
  readonly status: number;
  /** From `retry-after` on RATE_LIMITED and SERVER_BUSY replies. */
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

const OPTION_KEYS = new Set(['url', 'apiKey', 'fetch', 'timeoutMs', 'retries', 'retryDelayMs']);
/** Codes the server answers when it turns a request away for now: nothing was done, sending it again is safe. */
const RETRIED_CODES: ReadonlySet<string> = new Set(['RATE_LIMITED', 'SERVER_BUSY']);

export class Transport {
  /** The base URL without a trailing slash. */
  readonly url: string;
  readonly #fetch: typeof fetch;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  #closed = false;
  /**
   * The highest version each collection's writes through this client
   * replied with: a cluster node's `session` reads wait for it, so a client
   * reads its own writes whichever node it asks (ignored by an embedded server).
   */
  readonly versions = new Map<string, number>();

  constructor(options: QuiverClientOptions) {
    if (typeof options !== 'object' || options === null) throw createError('INVALID_OPTIONS', ['client options must be an object']);
    const { url, apiKey, fetch: fetchOption, timeoutMs = DEFAULT_TIMEOUT_MS, retries = DEFAULT_RETRIES, retryDelayMs = DEFAULT_RETRY_DELAY_MS } = options;
    const problems = Object.keys(options).filter((key) => !OPTION_KEYS.has(key)).map((key) => `unknown option '${key}'`);
    const base = parseBaseUrl(url, problems);
    if (apiKey !== undefined && (typeof apiKey !== 'string' || apiKey.length === 0 || /[\r\n]/.test(apiKey))) {
      problems.push('apiKey must be a non-empty string on one line');
    }
    if (fetchOption !== undefined && typeof fetchOption !== 'function') problems.push('fetch must be a function');
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
      problems.push(`timeoutMs must be an integer from 1 to ${MAX_TIMEOUT_MS}, got ${String(timeoutMs)}`);
    }
    if (!Number.isInteger(retries) || retries < 0 || retries > MAX_RETRIES) problems.push(`retries must be an integer from 0 to ${MAX_RETRIES}, got ${String(retries)}`);
    if (!Number.isInteger(retryDelayMs) || retryDelayMs < 0 || retryDelayMs > MAX_RETRY_WAIT_MS) {
      problems.push(`retryDelayMs must be an integer from 0 to ${MAX_RETRY_WAIT_MS}, got ${String(retryDelayMs)}`);
    }
    const fetchFunction = fetchOption ?? globalThis.fetch;
    if (typeof fetchFunction !== 'function') problems.push('no global fetch: pass options.fetch');
    if (problems.length > 0) throw createError('INVALID_OPTIONS', problems);
    this.url = base!;
    this.#fetch = fetchFunction;
    this.#apiKey = apiKey;
    this.#timeoutMs = timeoutMs;
    this.#retries = retries;
    this.#retryDelayMs = retryDelayMs;
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
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#sendOnce(route, name, body, allow);
      } catch (error) {
        const wait = attempt < this.#retries ? this.#retryWait(error, attempt) : undefined;
        if (wait === undefined || this.#closed) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  /**
   * How long to wait before sending again after `error`, or undefined when
   * it must not be sent again: the server's Retry-After, else the delay
   * doubling per attempt with full jitter (as AWS's clients), at most MAX_RETRY_WAIT_MS.
   */
  #retryWait(error: unknown, attempt: number): number | undefined {
    const turnedAway = error instanceof QuiverHttpError && RETRIED_CODES.has(error.code);
    if (!turnedAway && !(error instanceof QuiverClientError && error.code === 'NETWORK_ERROR' && neverSent(error))) return undefined;
    const told = turnedAway ? error.retryAfterSeconds : undefined;
    const wait = told !== undefined ? told * 1000 : Math.random() * this.#retryDelayMs * 2 ** attempt;
    return wait <= MAX_RETRY_WAIT_MS ? wait : undefined;
  }

  async #sendOnce(route: RouteName, name: string | undefined, body: unknown, allow: readonly number[]): Promise<{ status: number; json: unknown }> {
    if (this.#closed) throw createError('DATABASE_CLOSED');
    const { method, path } = ROUTES[route];
    // A route has at most one path parameter: a collection's {name} or an {alias}.
    const url = this.url + (name === undefined ? path : path.replace(/\{(name|alias)\}/, encodeURIComponent(name)));
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

/** A failed connection attempt (refused, no route): the request never left this process. */
function neverSent(error: QuiverClientError): boolean {
  let cause: unknown = error.cause;
  for (let depth = 0; cause !== undefined && depth < 4; depth++) {
    const code = (cause as { code?: unknown } | null)?.code;
    if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return true;
    cause = (cause as { cause?: unknown } | null)?.cause;
  }
  return false;
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
