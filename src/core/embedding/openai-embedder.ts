/**
 * The OpenAI embeddings protocol (`POST {url}/embeddings` with `{ model,
 * input: [...] }`, answered `{ data: [{ index, embedding }] }`), spoken by
 * OpenAI, Ollama, vLLM, Hugging Face TEI and LiteLLM. Texts go in batches
 * of `batchSize`; a request answered 429 or 5xx, or not answered within
 * `timeoutMs`, is sent again after `Retry-After` when the endpoint gives
 * one, else after a backoff that doubles from RETRY_BASE_MS with jitter, up
 * to `maxRetries` times. Any other failure, or the last, is EMBEDDING_FAILED
 * naming the endpoint's status and message. The key is read from the
 * environment at each call and never stored or echoed.
 */
import { createError, QuiverError } from '../errors.js';
import { DEFAULT_EMBED_BATCH, DEFAULT_EMBED_RETRIES, DEFAULT_EMBED_TIMEOUT_MS, type OpenAiEmbedderOptions } from './embedder-options.js';
import type { Embedder } from './embedder.js';

const RETRY_BASE_MS = 500;
/** A Retry-After longer than this is not waited for: the call fails with it. */
const MAX_RETRY_AFTER_MS = 60_000;

export class OpenAiEmbedder implements Embedder {
  readonly model: string;
  readonly #options: OpenAiEmbedderOptions;
  readonly #dimension: number;
  readonly #endpoint: string;

  constructor(options: OpenAiEmbedderOptions, dimension: number) {
    this.model = options.model;
    this.#options = options;
    this.#dimension = dimension;
    this.#endpoint = `${options.url.replace(/\/+$/, '')}/embeddings`;
  }

  async embedDocuments(texts: readonly string[]): Promise<Float32Array[]> {
    const batch = this.#options.batchSize ?? DEFAULT_EMBED_BATCH;
    const vectors: Float32Array[] = [];
    // One batch after another: a provider's rate limit is per client, and a failure stops before the next.
    for (let from = 0; from < texts.length; from += batch) vectors.push(...(await this.#request(texts.slice(from, from + batch))));
    return vectors;
  }

  async embedQuery(text: string): Promise<Float32Array> {
    return (await this.#request([text]))[0]!;
  }

  async #request(input: readonly string[]): Promise<Float32Array[]> {
    const { model, dimensions, apiKeyEnv, timeoutMs = DEFAULT_EMBED_TIMEOUT_MS, maxRetries = DEFAULT_EMBED_RETRIES } = this.#options;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (apiKeyEnv !== undefined) {
      const key = process.env[apiKeyEnv];
      if (key === undefined || key === '') throw createError('EMBEDDING_FAILED', model, `the environment variable ${apiKeyEnv}, which embedder.apiKeyEnv names, is not set`);
      headers.authorization = `Bearer ${key}`;
    }
    const body = JSON.stringify({ model, input, ...(dimensions === undefined ? {} : { dimensions }), encoding_format: 'float' });
    for (let attempt = 0; ; attempt++) {
      let retryAfterMs: number | undefined;
      let problem: string;
      try {
        const reply = await fetch(this.#endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
        const text = await reply.text();
        if (reply.ok) return this.#vectors(text, input.length);
        problem = `${this.#endpoint} answered ${reply.status}: ${messageOf(text)}`;
        if (reply.status !== 429 && reply.status < 500) throw createError('EMBEDDING_FAILED', model, problem);
        retryAfterMs = retryAfter(reply.headers.get('retry-after'));
        if (retryAfterMs !== undefined && retryAfterMs > MAX_RETRY_AFTER_MS) throw createError('EMBEDDING_FAILED', model, `${problem} (Retry-After ${retryAfterMs / 1000} s)`);
      } catch (error) {
        if (error instanceof QuiverError) throw error;
        const name = (error as Error).name;
        problem = name === 'TimeoutError' ? `${this.#endpoint} did not answer in ${timeoutMs} ms` : `${this.#endpoint}: ${(error as Error).message}`;
      }
      if (attempt >= maxRetries) throw createError('EMBEDDING_FAILED', model, `${problem} (after ${attempt + 1} attempts)`);
      const backoff = RETRY_BASE_MS * 2 ** attempt * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, retryAfterMs ?? backoff));
    }
  }

  #vectors(text: string, count: number): Float32Array[] {
    const fail = (problem: string) => createError('EMBEDDING_FAILED', this.model, `${this.#endpoint} answered ${problem}`);
    let parsed: { data?: { index?: number; embedding?: unknown }[] };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw fail('something that is not JSON');
    }
    if (!Array.isArray(parsed.data) || parsed.data.length !== count) throw fail(`${Array.isArray(parsed.data) ? parsed.data.length : 'no'} embeddings for ${count} inputs`);
    const vectors = new Array<Float32Array>(count);
    for (const [position, item] of parsed.data.entries()) {
      const index = item.index ?? position;
      const { embedding } = item;
      if (!Number.isInteger(index) || index < 0 || index >= count || vectors[index] !== undefined) throw fail(`a bad or repeated index ${String(index)}`);
      if (!Array.isArray(embedding) || !embedding.every((x) => typeof x === 'number' && Number.isFinite(x))) throw fail(`embedding ${index} that is not an array of finite numbers (a base64 one?)`);
      if (embedding.length !== this.#dimension) throw fail(`embeddings of ${embedding.length} dimensions; the collection has ${this.#dimension}`);
      vectors[index] = Float32Array.from(embedding as number[]);
    }
    return vectors;
  }
}

/** The error message in an OpenAI-style error body, or the body's start. */
function messageOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    const message = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (typeof message === 'string') return message.slice(0, 300);
  } catch {
    // Not JSON.
  }
  return text.slice(0, 300) || '(no body)';
}

/** Retry-After in ms: seconds, or an HTTP date. */
function retryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
