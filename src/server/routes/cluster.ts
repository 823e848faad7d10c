/**
 * A cluster node's own routes: the connection other nodes send their shard
 * calls on, and this node's status (its replicas, their states and applied
 * versions) for operators. Only a cluster node has them.
 *
 * Other nodes open the connection as an HTTP upgrade (`GET /_cluster/wire`
 * with `Connection: Upgrade`). The upgrade goes through the router like any
 * request, as @fastify/websocket routes its upgrades, so the rate limit and
 * the key check apply; once they pass, the socket is handed to the node
 * (src/cluster/peers.ts speaks the wire). An upgrade to any other route is
 * answered as a plain request and the connection closed.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { createError } from '../../core/errors.js';
import type { AppContext } from '../context.js';

/** Upgrade requests waiting in the router: their socket and the bytes read past the request. */
const upgrades = new WeakMap<IncomingMessage, { socket: Duplex; head: Buffer }>();

export function clusterRoutes(app: FastifyInstance, context: AppContext): void {
  const acceptPeer = context.db.acceptPeer?.bind(context.db);
  if (acceptPeer === undefined) return;
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrades.set(request, { socket, head });
    socket.on('error', () => {});
    const response = new ServerResponse(request);
    response.assignSocket(socket as never);
    // Answered without being taken over (refused, or not this route): the connection has no HTTP parser any more.
    response.on('finish', () => socket.destroy());
    app.routing(request, response);
  });
  app.get(
    '/_cluster/wire',
    { config: { readOnly: true, rateLimit: false }, schema: { hide: true } },
    async (request, reply) => {
      const upgrade = upgrades.get(request.raw);
      if (upgrade === undefined) throw createError('INVALID_REQUEST', 'the node-to-node connection is opened with Connection: Upgrade');
      reply.hijack();
      acceptPeer(upgrade.socket, upgrade.head);
    },
  );
  app.get(
    '/_cluster/status',
    { config: { readOnly: true }, schema: { tags: ['health'], summary: 'Cluster mode: this node and its shard replicas (state, applied version, documents).' } },
    async () => context.db.status!(),
  );
}
