/**
 * A collection's embedder, as its options name it and the store keeps it:
 * which model turns its documents' text and its text queries into vectors.
 * The identity (provider and model) is stored with the collection, so a
 * search that names another model is refused; an API key is never stored,
 * only the name of the environment variable that holds it.
 */
import { ENV_NAME_PATTERN, isIntegerIn, MAX_EMBED_BATCH, MAX_EMBED_RETRIES, MAX_EMBED_TIMEOUT_MS, MAX_MODEL_NAME_LENGTH } from '../options.js';

/** An endpoint that speaks OpenAI's `POST /embeddings` (OpenAI, Ollama, vLLM, Hugging Face TEI, LiteLLM). */
export interface OpenAiEmbedderOptions {
  provider: 'openai';
  /** The API's base URL, to which `/embeddings` is added: `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`. */
  url: string;
  model: string;
  /** Sent as the request's `dimensions` (models that can shorten their vectors); must be the collection's dimension. */
  dimensions?: number;
  /** The environment variable holding the API key, read at each call (default: none, no Authorization header). */
  apiKeyEnv?: string;
  /** Texts per request (default DEFAULT_EMBED_BATCH). */
  batchSize?: number;
  /** Per request, in ms (default DEFAULT_EMBED_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Retries of a request answered 429 or 5xx, or not answered in time (default DEFAULT_EMBED_RETRIES). */
  maxRetries?: number;
}

/** An in-process object with LangChain's `embedDocuments` / `embedQuery`, given to `openDatabase({ embedders: { [model]: object } })`. */
export interface LocalEmbedderOptions {
  provider: 'local';
  model: string;
}

export type EmbedderOptions = OpenAiEmbedderOptions | LocalEmbedderOptions;

export const DEFAULT_EMBED_BATCH = 64;
export const DEFAULT_EMBED_TIMEOUT_MS = 30_000;
export const DEFAULT_EMBED_RETRIES = 4;

const KEYS: Record<EmbedderOptions['provider'], readonly string[]> = {
  openai: ['provider', 'url', 'model', 'dimensions', 'apiKeyEnv', 'batchSize', 'timeoutMs', 'maxRetries'],
  local: ['provider', 'model'],
};

/** The checked embedder options of a collection of `dimension` (0: keyword-only), adding what is wrong to `problems`. */
export function resolveEmbedderOptions(input: unknown, dimension: number, problems: string[]): Readonly<EmbedderOptions> | undefined {
  if (input === undefined) return undefined;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    problems.push('embedder must be an object such as { provider: "openai", url, model }');
    return undefined;
  }
  const options = input as Record<string, unknown>;
  const { provider, model } = options;
  if (provider !== 'openai' && provider !== 'local') {
    problems.push(`embedder.provider must be "openai" (any OpenAI-compatible endpoint) or "local" (an object given to openDatabase), got ${String(provider)}`);
    return undefined;
  }
  if (dimension === 0) problems.push('embedder needs a dimension: a keyword-only collection stores no vectors');
  for (const key of Object.keys(options)) if (!KEYS[provider].includes(key)) problems.push(`unknown option 'embedder.${key}' for provider ${provider}`);
  if (typeof model !== 'string' || model.length === 0 || model.length > MAX_MODEL_NAME_LENGTH) problems.push(`embedder.model must be a non-empty string of at most ${MAX_MODEL_NAME_LENGTH} characters`);
  if (provider === 'local') return Object.freeze({ provider, model: model as string });
  const { url, dimensions, apiKeyEnv, batchSize = DEFAULT_EMBED_BATCH, timeoutMs = DEFAULT_EMBED_TIMEOUT_MS, maxRetries = DEFAULT_EMBED_RETRIES } = options;
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    // Reported below.
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) problems.push(`embedder.url must be an http(s) URL, got ${String(url)}`);
  else if (parsed.username !== '' || parsed.password !== '') problems.push('embedder.url must not hold credentials: name the variable holding the key in embedder.apiKeyEnv');
  if (dimensions !== undefined && dimensions !== dimension) problems.push(`embedder.dimensions must be the collection's dimension (${dimension}), got ${String(dimensions)}`);
  if (apiKeyEnv !== undefined && (typeof apiKeyEnv !== 'string' || !ENV_NAME_PATTERN.test(apiKeyEnv))) problems.push(`embedder.apiKeyEnv must be an environment variable's name, got ${String(apiKeyEnv)}`);
  if (!isIntegerIn(batchSize, 1, MAX_EMBED_BATCH)) problems.push(`embedder.batchSize must be an integer from 1 to ${MAX_EMBED_BATCH}, got ${String(batchSize)}`);
  if (!isIntegerIn(timeoutMs, 1, MAX_EMBED_TIMEOUT_MS)) problems.push(`embedder.timeoutMs must be an integer from 1 to ${MAX_EMBED_TIMEOUT_MS}, got ${String(timeoutMs)}`);
  if (!isIntegerIn(maxRetries, 0, MAX_EMBED_RETRIES)) problems.push(`embedder.maxRetries must be an integer from 0 to ${MAX_EMBED_RETRIES}, got ${String(maxRetries)}`);
  return Object.freeze({
    provider, url: url as string, model: model as string, batchSize: batchSize as number, timeoutMs: timeoutMs as number, maxRetries: maxRetries as number,
    ...(dimensions === undefined ? {} : { dimensions: dimensions as number }),
    ...(apiKeyEnv === undefined ? {} : { apiKeyEnv: apiKeyEnv as string }),
  });
}
