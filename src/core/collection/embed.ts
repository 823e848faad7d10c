/**
 * A collection's embedder at work: an upsert's documents that carry text
 * but no vector get one (the whole batch embedded before anything is
 * written, so a provider that fails mid-batch leaves nothing half-written),
 * and a search's `text` becomes the query vector in `semantic` and `hybrid`
 * mode. A search or write may name the model its vectors came from
 * (`model`): another than the collection's is refused.
 */
import type { DocumentInput, SearchMode, SearchRequest } from '../api.js';
import type { Embedder, EmbeddingsLike } from '../embedding/embedder.js';
import { makeEmbedder } from '../embedding/make-embedder.js';
import { createError } from '../errors.js';
import { isPlainObject } from '../validate.js';
import type { ResolvedCollectionOptions } from './collection-options.js';

/** What embedding needs of a collection: a collection's state, or a cluster collection's (the same object each call, for the cache below). */
export interface EmbedContext {
  readonly name: string;
  readonly options: Pick<ResolvedCollectionOptions, 'dimension' | 'embedder'>;
  readonly services: { readonly embedders: ReadonlyMap<string, EmbeddingsLike> };
}

const SEARCH_MODES: readonly SearchMode[] = ['keyword', 'semantic', 'hybrid'];

/** Made on first use: a `local` embedder missing from this process fails only the calls that need it. */
const embedders = new WeakMap<EmbedContext, Embedder>();

function embedderOf(s: EmbedContext): Embedder {
  let embedder = embedders.get(s);
  if (embedder === undefined) {
    embedder = makeEmbedder(s.options.embedder!, s.options.dimension, s.services.embedders, s.name);
    embedders.set(s, embedder);
  }
  return embedder;
}

/** Whether an upsert has documents to embed (text, no vector) in a collection with an embedder. */
export function hasTextToEmbed(s: EmbedContext, documents: readonly DocumentInput[]): boolean {
  return s.options.embedder !== undefined && Array.isArray(documents) && documents.some(needsVector);
}

function needsVector(document: DocumentInput): boolean {
  return isPlainObject(document) && document.vector === undefined && typeof document.text === 'string' && document.text.length > 0;
}

/** The documents with a vector embedded from each one's text where it had none. */
export async function withEmbeddedText(s: EmbedContext, documents: readonly DocumentInput[]): Promise<DocumentInput[]> {
  const positions = documents.flatMap((document, i) => (needsVector(document) ? [i] : []));
  const vectors = await embedderOf(s).embedDocuments(positions.map((i) => documents[i]!.text!));
  const embedded = [...documents];
  positions.forEach((position, i) => (embedded[position] = { ...documents[position]!, vector: vectors[i]! }));
  return embedded;
}

/**
 * A partial update that changes the text of a document whose vector was
 * embedded from it would leave the vector stale: on a collection with an
 * embedder, text changes go through upsert, which embeds the new text.
 */
export function refuseTextChange(s: EmbedContext, change: unknown): void {
  if (s.options.embedder !== undefined && isPlainObject(change) && (change as { text?: unknown }).text !== undefined) {
    throw createError('INVALID_ARGUMENT', 'update', 'no text change on a collection with an embedder (upsert the document: its vector is embedded from its text)', 'a text change');
  }
}

/** Whether a search request names a mode or a model, or is text alone on a collection with an embedder. */
export function needsEmbedding(s: EmbedContext, request: SearchRequest): boolean {
  if (!isPlainObject(request)) return false;
  if (request.mode !== undefined || request.model !== undefined) return true;
  return s.options.embedder !== undefined && isTextAlone(request);
}

/** Text with no vector and no examples: what an embedder can turn into the query vector. */
function isTextAlone(request: SearchRequest): boolean {
  return typeof request.text === 'string' && request.vector === undefined && request.like === undefined && request.unlike === undefined;
}

/**
 * The request as the search runs it: `mode` resolved (default: `semantic`
 * for text alone on a collection with an embedder, else `keyword`), the
 * text embedded into the query vector for `semantic` (vector search) and
 * `hybrid` (that vector and the text's BM25, fused); `model` checked.
 */
export async function embeddedRequest(s: EmbedContext, request: SearchRequest): Promise<SearchRequest> {
  const { mode, model, ...rest } = request;
  const stored = s.options.embedder?.model;
  if (model !== undefined) {
    if (typeof model !== 'string' || model.length === 0) throw createError('INVALID_ARGUMENT', 'model', 'the name of the model that made the query vector', model);
    if (stored !== undefined && model !== stored) throw createError('EMBEDDER_MISMATCH', s.name, stored, model);
  }
  if (mode !== undefined && !SEARCH_MODES.includes(mode)) throw createError('INVALID_ARGUMENT', 'mode', SEARCH_MODES.join(', '), mode);
  const textAlone = isTextAlone(rest);
  const resolved = mode ?? (stored !== undefined && textAlone ? 'semantic' : 'keyword');
  if (resolved === 'keyword') {
    if (mode !== undefined && !textAlone) throw createError('INVALID_ARGUMENT', 'search request', "text alone with mode 'keyword'", 'a vector or examples too');
    return rest;
  }
  if (stored === undefined) throw createError('INVALID_ARGUMENT', 'mode', `'keyword' (collection '${s.name}' has no embedder to make '${resolved}' search's query vector)`, resolved);
  if (!textAlone) throw createError('INVALID_ARGUMENT', 'search request', `text alone with mode '${resolved}' (the text is embedded into the query vector)`, 'a vector or examples too');
  const vector = await embedderOf(s).embedQuery(rest.text!);
  if (resolved === 'hybrid') return { ...rest, vector };
  const { text: _text, ...semantic } = rest;
  return { ...semantic, vector };
}
