import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import {
  collectionInfo,
  collectionList,
  collectionParams,
  createCollectionBody,
  errorReply,
  optimizeBody,
  optimizeResult,
  type CollectionParams,
  type CreateCollectionBody,
} from '../schemas.js';

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply, 503: errorReply };

export function collectionRoutes(app: FastifyInstance, { db }: AppContext): void {
  app.post<{ Body: CreateCollectionBody }>(
    '/collections',
    { schema: { tags: ['collections'], summary: 'Create a collection.', body: createCollectionBody, response: { 201: collectionInfo, ...errors } } },
    async (request, reply) => {
      const { name, ...options } = request.body;
      const collection = await db.createCollection(name, options);
      return reply.status(201).send(collection.info);
    },
  );

  app.get(
    '/collections',
    { config: { readOnly: true }, schema: { tags: ['collections'], summary: 'List collections with their counts and state, and the aliases.', response: { 200: collectionList, ...errors } } },
    async () => ({ collections: db.listCollections(), aliases: db.listAliases() }),
  );

  app.get<{ Params: CollectionParams }>(
    '/collections/:name',
    {
      config: { readOnly: true },
      schema: { tags: ['collections'], summary: 'Describe a collection: config, counts, index state.', params: collectionParams, response: { 200: collectionInfo, ...errors } },
    },
    async (request) => db.collection(request.params.name).info,
  );

  app.post<{ Params: CollectionParams }>(
    '/collections/:name/optimize',
    {
      schema: {
        tags: ['collections'],
        summary: 'Lay the HNSW graph out afresh in memory, after a bulk load: searches go on, writes wait for it.',
        params: collectionParams,
        body: optimizeBody,
        response: { 200: optimizeResult, ...errors },
      },
      // It takes no arguments: a POST without a body (or with an empty one) is the usual call.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => db.collection(request.params.name).optimize(),
  );

  app.delete<{ Params: CollectionParams }>(
    '/collections/:name',
    { schema: { tags: ['collections'], summary: 'Drop a collection and everything in it.', params: collectionParams, response: { 204: { type: 'null' }, ...errors } } },
    async (request, reply) => {
      await db.dropCollection(request.params.name);
      return reply.status(204).send();
    },
  );
}
