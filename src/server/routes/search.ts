/**
 * Search routes: each search goes through the result cache, keyed by the
 * collection's uid (random, so a re-created collection never meets its
 * predecessor's entries, even through a shared Redis), its write version
 * and the canonical request (vectors in any
 * encoding canonicalise to the same key), so a write makes older entries
 * unreachable. Replies say `cached: true|false` and carry `x-cache`. A
 * request with `Cache-Control: no-cache` is searched afresh (its result is
 * still stored), as HTTP caches do: how a benchmark measures the engine.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { canonicalJson, ResultCache } from '../cache/result-cache.js';
import { createError } from '../../core/errors.js';
import type { SearchHit, SearchResult } from '../../core/api.js';
import type { EngineCollection } from '../engine.js';
import type { AppContext } from '../context.js';
import {
  batchSearchBody,
  batchSearchResult,
  MAX_BATCH_REPLY_BYTES,
  collectionParams,
  errorReply,
  searchBody,
  searchResult,
  type BatchSearchBody,
  type CollectionParams,
  searchQuery,
  type SearchBody,
  type SearchQuery,
} from '../schemas.js';
import { isUtf8Body, jsonBodyParser } from '../json-body.js';
import { decodeVector } from '../vectors.js';
import { jsonArray } from '../json-slices.js';
import { requestSignal } from '../request-signal.js';
import { nextSlice } from '../../core/query/read-budget.js';

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 413: errorReply, 429: errorReply, 503: errorReply };

/** The JSON of one search reply without its `cached` flag, and whether it came from the cache. */
async function search(
  context: AppContext,
  collection: EngineCollection,
  body: SearchBody,
  signal: AbortSignal,
  fresh: boolean,
): Promise<{ json: string; cached: boolean; key: string | undefined }> {
  const { vector: encoded, explain = false, consistency, minVersion, ...rest } = body;
  const vector = encoded === undefined ? undefined : decodeVector(encoded, 'vector');
  const request = vector === undefined ? rest : { ...rest, vector };
  let canonical: string | undefined;
  // A cluster node's versions are the cluster's, not its own: nothing it answers is cached.
  if (context.db.cacheable !== false) try {
    // The key holds the float32 bytes the engine searches with, so a JSON array and base64 of the same vector share an entry.
    canonical = canonicalJson({ ...rest, vector: vector === undefined || vector instanceof Float32Array ? vector : new Float32Array(vector), explain });
  } catch (error) {
    // JSON.stringify overflows the stack on a filter nested thousands deep; the engine rejects it (INVALID_FILTER).
    if (!(error instanceof RangeError)) throw error;
  }
  if (canonical !== undefined && !fresh) {
    const key = ResultCache.key(collection.uid, collection.version, 'search', canonical);
    const stored = await context.cache.get(key);
    if (stored !== undefined) return { json: stored, cached: true, key };
  }

  // No await between reading the version and searching: the key names exactly the data searched.
  const key = canonical === undefined ? undefined : ResultCache.key(collection.uid, collection.version, 'search', canonical);
  // Explained only when asked: the latency histogram comes from Database.observeSearches (metrics.ts).
  const read = consistency === undefined && minVersion === undefined ? undefined : { consistency, minVersion };
  const result = (await collection.search({ ...(request as Parameters<EngineCollection['search']>[0]), explain, signal }, read)) as SearchHit[] | SearchResult;
  const hits = await jsonArray(Array.isArray(result) ? result : result.hits, hitJson, signal);
  const json = `{"hits":${hits}${Array.isArray(result) ? '' : `,"explain":${JSON.stringify(result.explain)}`}}`;
  if (key !== undefined) await context.cache.set(key, json);
  return { json, cached: false, key };
}

/** The GET form of a search as the POST body it stands for. */
function bodyFromQuery(query: SearchQuery): SearchBody {
  const body: Record<string, unknown> = {};
  if (query.vector !== undefined) body.vector = query.vector;
  if (query.text !== undefined) body.text = query.text;
  if (query.k !== undefined) body.k = Number(query.k);
  if (query.ef !== undefined) body.ef = Number(query.ef);
  if (query.fusion !== undefined) body.fusion = query.fusion;
  if (query.mode !== undefined) body.mode = query.mode;
  if (query.alpha !== undefined) body.alpha = Number(query.alpha);
  if (query.include !== undefined) body.include = query.include === '' ? [] : query.include.split(',');
  if (query.offset !== undefined) body.offset = Number(query.offset);
  if (query.minScore !== undefined) body.minScore = Number(query.minScore);
  if (query.groupBy !== undefined) body.groupBy = query.groupBy;
  if (query.groupSize !== undefined) body.groupSize = Number(query.groupSize);
  if (query.consistency !== undefined) body.consistency = query.consistency;
  if (query.minVersion !== undefined) body.minVersion = Number(query.minVersion);
  if (query.filter !== undefined) {
    try {
      body.filter = JSON.parse(query.filter) as unknown;
    } catch {
      throw createError('INVALID_FILTER', 'filter', 'the filter parameter is not valid JSON');
    }
    if (typeof body.filter !== 'object' || body.filter === null || Array.isArray(body.filter)) {
      throw createError('INVALID_FILTER', 'filter', 'expected a JSON object');
    }
  }
  return body as SearchBody;
}

/** Whether the client asked for a fresh search: `Cache-Control: no-cache`, or `Pragma: no-cache`. */
function wantsFresh(request: FastifyRequest): boolean {
  const control = request.headers['cache-control'];
  if (typeof control === 'string' && /(^|[\s,])no-cache($|[\s,=])/i.test(control)) return true;
  return request.headers.pragma === 'no-cache';
}

/** The collection, or undefined when it is unavailable (the route then answers the error). */
function safeCollection(context: AppContext, name: string): EngineCollection | undefined {
  try {
    return context.db.collection(name);
  } catch {
    return undefined;
  }
}

function hitJson(hit: SearchHit): Record<string, unknown> {
  return hit.vector === undefined ? { ...hit } : { ...hit, vector: Array.from(hit.vector) };
}

/** `{"cached":…,` spliced into the stored reply, which always starts with `{"hits":`. */
function withCached(json: string, cached: boolean): string {
  return `{"cached":${cached},${json.slice(1)}`;
}

/** Every search reply's type, charset included (Fastify adds it to strings, not to buffers). */
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Bodies up to this many bytes are also cached by their exact bytes (an
 * alias, see ResultCache.alias), so a repeated request is answered before
 * its JSON is decoded, parsed or validated (those cost more than the cached
 * search itself). Safe because an alias is only stored for a request that
 * passed validation and was searched.
 */
const MAX_ALIASED_BYTES = 64 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    /** The search body's bytes, kept by the search routes' JSON parser for the alias. */
    quiverRawBody?: Buffer;
    /** The collection the alias lookup found, so the route does not look it up again. */
    quiverCollection?: EngineCollection;
    /** The reply found through the alias of the request's bytes. */
    quiverCachedReply?: Buffer;
  }
}

/** The collection a search names, when it exists and is usable; undefined otherwise (the route then answers the error). */
function aliasedCollection(context: AppContext, params: unknown): EngineCollection | undefined {
  const name = (params as { name?: string }).name;
  return name !== undefined && !context.db.closed && context.db.hasCollection(name) ? safeCollection(context, name) : undefined;
}

/**
 * Remembers that `request` (bytes) asks for the entry under `key`, when the
 * collection is still at the version the request was searched at: an alias
 * must never name an entry of another version.
 */
function rememberAlias(context: AppContext, collection: EngineCollection, version: number, request: Uint8Array, key: string | undefined, json: string): void {
  if (key === undefined || collection.version !== version) return;
  context.cache.alias(collection.uid, version, request, key, Buffer.from(withCached(json, true)));
}

/**
 * Registers the search routes in their own encapsulated scope, with a JSON
 * parser that first looks the raw body up in the cache.
 */
export async function searchRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  const parseJson = jsonBodyParser(app);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    // Only bodies read as UTF-8 are looked up: any other is refused by parseJson below.
    if (raw.length <= MAX_ALIASED_BYTES && request.routeOptions.url === '/collections/:name/search' && isUtf8Body(request) && !wantsFresh(request)) {
      request.quiverRawBody = raw;
      const collection = aliasedCollection(context, request.params);
      request.quiverCollection = collection;
      const cached = collection && context.cache.getByAlias(collection.uid, collection.version, raw);
      if (cached !== undefined) {
        request.quiverCachedReply = cached;
        done(null, {});
        return;
      }
    }
    parseJson(request, raw, done);
  });
  app.addHook('preValidation', (request, reply, done) => {
    if (request.quiverCachedReply === undefined) {
      done();
      return;
    }
    reply.header('x-cache', 'HIT').type(JSON_TYPE).send(request.quiverCachedReply);
  });

  app.get<{ Params: CollectionParams; Querystring: SearchQuery }>(
    '/collections/:name/search',
    {
      config: { readOnly: true },
      schema: {
        tags: ['search'],
        summary: 'The same search with its parameters in the query string (a vector as base64 float32, text, filter as JSON); answered from the cache by URL.',
        params: collectionParams,
        querystring: searchQuery,
        response: { 200: searchResult, ...errors },
      },
      // A URL seen before is an alias of its cached reply: answered before the query string is even validated.
      onRequest: async (request, reply) => {
        if (wantsFresh(request)) return;
        const collection = aliasedCollection(context, request.params);
        request.quiverCollection = collection;
        const cached = collection && context.cache.getByAlias(collection.uid, collection.version, Buffer.from(request.url));
        if (cached !== undefined) return reply.header('x-cache', 'HIT').type(JSON_TYPE).send(cached);
      },
    },
    async (request, reply) => {
      const collection = request.quiverCollection ?? context.db.collection(request.params.name);
      const version = collection.version;
      const { json, cached, key } = await search(context, collection, bodyFromQuery(request.query), requestSignal(request, reply), wantsFresh(request));
      rememberAlias(context, collection, version, Buffer.from(request.url), key, json);
      return reply.header('x-cache', cached ? 'HIT' : 'MISS').type(JSON_TYPE).send(withCached(json, cached));
    },
  );

  app.post<{ Params: CollectionParams; Body: SearchBody }>(
    '/collections/:name/search',
    {
      config: { readOnly: true },
      schema: {
        tags: ['search'],
        summary: 'Search by vector, by keywords (BM25) or both fused (hybrid), optionally filtered by metadata.',
        params: collectionParams,
        body: searchBody,
        response: { 200: searchResult, ...errors },
      },
    },
    async (request, reply) => {
      const collection = request.quiverCollection ?? context.db.collection(request.params.name);
      const version = collection.version;
      const { json, cached, key } = await search(context, collection, request.body, requestSignal(request, reply), wantsFresh(request));
      if (request.quiverRawBody !== undefined) rememberAlias(context, collection, version, request.quiverRawBody, key, json);
      return reply.header('x-cache', cached ? 'HIT' : 'MISS').type(JSON_TYPE).send(withCached(json, cached));
    },
  );

  app.post<{ Params: CollectionParams; Body: BatchSearchBody }>(
    '/collections/:name/search/batch',
    {
      config: { readOnly: true },
      schema: {
        tags: ['search'],
        summary: 'Several searches in one request; results in the same order.',
        params: collectionParams,
        body: batchSearchBody,
        response: { 200: batchSearchResult, ...errors },
      },
    },
    async (request, reply) => {
      const collection = context.db.collection(request.params.name);
      const signal = requestSignal(request, reply);
      const parts: string[] = [];
      let size = 0;
      for (const [i, body] of request.body.searches.entries()) {
        // A turn for other requests between searches; none after the client went away.
        if (i > 0) await nextSlice(signal, 'batch search');
        const { json, cached } = await search(context, collection, body, signal, wantsFresh(request));
        size += json.length;
        if (size > MAX_BATCH_REPLY_BYTES) {
          throw createError('LIMIT_EXCEEDED', 'MAX_BATCH_REPLY_BYTES', `the reply to the first ${i + 1} searches, in bytes of JSON,`, size, MAX_BATCH_REPLY_BYTES,
            'send fewer searches at a time, or ask each for fewer hits or fields');
        }
        parts.push(withCached(json, cached));
      }
      return reply.type(JSON_TYPE).send(`{"results":[${parts.join(',')}]}`);
    },
  );
}
