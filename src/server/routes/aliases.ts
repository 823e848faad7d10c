import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import {
  aliasInfo,
  aliasList,
  aliasParams,
  errorReply,
  switchAliasBody,
  type AliasInfoBody,
  type AliasParams,
  type SwitchAliasBody,
} from '../schemas.js';

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply, 503: errorReply };

/** Aliases: other names for collections, switched atomically (Database.createAlias, switchAlias, dropAlias). */
export function aliasRoutes(app: FastifyInstance, { db }: AppContext): void {
  app.get(
    '/aliases',
    { config: { readOnly: true }, schema: { tags: ['aliases'], summary: 'Every alias and the collection it names.', response: { 200: aliasList, ...errors } } },
    async () => ({ aliases: db.listAliases() }),
  );

  app.post<{ Body: AliasInfoBody }>(
    '/aliases',
    {
      schema: {
        tags: ['aliases'],
        summary: 'Create an alias: another name for a collection, for every read and write (409 when the name is taken).',
        body: aliasInfo,
        response: { 201: aliasInfo, ...errors },
      },
    },
    async (request, reply) => {
      const { alias, collection } = request.body;
      await db.createAlias(alias, collection);
      return reply.status(201).send({ alias, collection });
    },
  );

  app.put<{ Params: AliasParams; Body: SwitchAliasBody }>(
    '/aliases/:alias',
    {
      schema: {
        tags: ['aliases'],
        summary: 'Point an existing alias at another collection, atomically: each request by the alias reaches the old collection or the new one.',
        params: aliasParams,
        body: switchAliasBody,
        response: { 200: aliasInfo, ...errors },
      },
    },
    async (request) => {
      const { alias } = request.params;
      await db.switchAlias(alias, request.body.collection);
      return { alias, collection: request.body.collection };
    },
  );

  app.delete<{ Params: AliasParams }>(
    '/aliases/:alias',
    { schema: { tags: ['aliases'], summary: 'Drop an alias; its collection is untouched.', params: aliasParams, response: { 204: { type: 'null' }, ...errors } } },
    async (request, reply) => {
      await db.dropAlias(request.params.alias);
      return reply.status(204).send();
    },
  );
}
