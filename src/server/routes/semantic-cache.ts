/**
 * The semantic cache over REST: any collection can hold cached answers
 * (src/semantic-cache), looked up by a question's vector or, with the
 * collection's embedder, its text. Lookups are counted in /metrics by
 * collection and result, and hits' savings summed, so a dashboard shows
 * the hit rate and what the cache saved.
 */
import type { FastifyInstance } from 'fastify';
import { SemanticCache, type CacheQuery } from '../../semantic-cache/semantic-cache.js';
import type { AppContext } from '../context.js';
import {
  cacheEvictBody, cacheEvictResult, cacheLookupBody, cacheLookupResult, cacheStoreBody, cacheStoreResult, collectionParams, errorReply,
  type CacheEvictBody, type CacheLookupBody, type CacheStoreBody, type CollectionParams,
} from '../schemas.js';
import { decodeVector } from '../vectors.js';

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 413: errorReply, 502: errorReply, 503: errorReply };

function questionOf(body: { vector?: string | readonly number[]; text?: string }): CacheQuery {
  return body.vector !== undefined ? decodeVector(body.vector, 'vector') : { text: body.text! };
}

export function semanticCacheRoutes(app: FastifyInstance, context: AppContext): void {
  const { db, metrics } = context;
  app.post<{ Params: CollectionParams; Body: CacheLookupBody }>(
    '/collections/:name/cache/lookup',
    {
      config: { readOnly: true },
      schema: { tags: ['semantic cache'], summary: "The cached answer whose question is closest to this one, when at least as similar as the threshold (0.95); else hit: null.", params: collectionParams, body: cacheLookupBody, response: { 200: cacheLookupResult, ...errors } },
    },
    async (request) => {
      const { name } = request.params;
      const cache = new SemanticCache({ collection: db.collection(name), ...(request.body.threshold === undefined ? {} : { threshold: request.body.threshold }) });
      const hit = await cache.lookup(questionOf(request.body), request.body.filter ?? {});
      metrics.semanticCacheLookups.inc({ collection: name, result: hit === null ? 'miss' : 'hit' });
      const saved = cache.stats().saved;
      if (saved > 0) metrics.semanticCacheSaved.inc({ collection: name }, saved);
      return { hit };
    },
  );
  app.post<{ Params: CollectionParams; Body: CacheStoreBody }>(
    '/collections/:name/cache/entries',
    {
      schema: { tags: ['semantic cache'], summary: 'Caches an answer under its question (vector, or text the collection embeds).', params: collectionParams, body: cacheStoreBody, response: { 201: cacheStoreResult, ...errors } },
    },
    async (request, reply) => {
      const { ttlMs, answer, metadata = {} } = request.body;
      const cache = new SemanticCache({ collection: db.collection(request.params.name), ...(ttlMs === undefined ? {} : { ttlMs }) });
      const id = await cache.store(questionOf(request.body), answer, metadata);
      return reply.code(201).send({ id });
    },
  );
  app.post<{ Params: CollectionParams; Body: CacheEvictBody }>(
    '/collections/:name/cache/evict',
    {
      schema: { tags: ['semantic cache'], summary: 'Removes expired entries and, past maxEntries, the oldest.', params: collectionParams, body: cacheEvictBody, response: { 200: cacheEvictResult, ...errors } },
    },
    async (request) => new SemanticCache({ collection: db.collection(request.params.name), ...(request.body.maxEntries === undefined ? {} : { maxEntries: request.body.maxEntries }) }).evict(),
  );
}
