import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Access } from '../auth.js';
import { accessReply, errorReply } from '../schemas.js';

/**
 * GET /access: what the key sent allows, so that a user interface (the
 * dashboard) can offer only what will succeed. Without a valid key it is
 * answered 401 like any other route, which makes it the check of a key too.
 */
export function accessRoutes(app: FastifyInstance, accessOf: (request: FastifyRequest) => Access): void {
  app.get(
    '/access',
    {
      config: { readOnly: true },
      schema: {
        tags: ['health'],
        summary: 'What the key sent allows: read-write, read-only, or open (the server has no keys).',
        response: { 200: accessReply, 401: errorReply, 429: errorReply },
      },
    },
    async (request) => ({ access: accessOf(request) }),
  );
}
