/**
 * The route other cluster nodes call: one shard call (src/cluster/coordinator.ts
 * ShardCall) answered by this node's replica of the shard. Only a cluster
 * node has it; it is left out of the OpenAPI document, being no client's.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

export function clusterRoutes(app: FastifyInstance, context: AppContext): void {
  const shardCall = context.db.shardCall?.bind(context.db);
  if (shardCall === undefined) return;
  app.post(
    '/_cluster/shard',
    { config: { readOnly: true, rateLimit: false }, schema: { hide: true, body: { type: 'object' } } },
    async (request) => shardCall(request.body),
  );
}
