/**
 * A cluster node's own routes: the one other nodes call, a shard call
 * (src/cluster/coordinator.ts ShardCall) answered by this node's replica of
 * the shard, left out of the OpenAPI document, being no client's; and this
 * node's status (its replicas, their states and applied versions) for
 * operators. Only a cluster node has them.
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
  app.get(
    '/_cluster/status',
    { config: { readOnly: true }, schema: { tags: ['health'], summary: 'Cluster mode: this node and its shard replicas (state, applied version, documents).' } },
    async () => context.db.status!(),
  );
}
