import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { statusReply } from '../schemas.js';

export function healthRoutes(app: FastifyInstance, context: AppContext): void {
  const config = { public: true, rateLimit: false } as const;
  app.get('/health', { config, schema: { tags: ['health'], summary: 'Liveness: the process answers.', response: { 200: statusReply } } }, async () => ({
    status: 'ok',
  }));
  app.get(
    '/health/ready',
    { config, schema: { tags: ['health'], summary: 'Readiness: the database is open and not shutting down.', response: { 200: statusReply, 503: statusReply } } },
    async (_request, reply) => {
      if (context.db.closed || context.draining()) return reply.status(503).send({ status: 'unavailable' });
      return { status: 'ready' };
    },
  );
}
