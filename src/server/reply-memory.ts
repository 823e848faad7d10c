/**
 * A bound on the memory that replies hold while they wait to be written.
 * A client that sends requests but does not read the replies leaves them in
 * this process (the socket keeps what the kernel will not take yet), so a
 * few such clients asking for large replies could fill the memory. Every
 * reply of LARGE_REPLY_CHARS or more is counted from when it is sent until
 * its connection has taken it or closed; one that would take the total
 * past the limit is answered SERVER_BUSY (503, with Retry-After) instead,
 * and its JSON dropped.
 */
import type { FastifyInstance } from 'fastify';
import { createError } from '../core/errors.js';
import { errorBody } from './error-handler.js';

/** Replies smaller than this are not counted: they cannot add up to much before their connections take them. */
const LARGE_REPLY_CHARS = 2 ** 20;
const RETRY_AFTER_SECONDS = 1;

/** Adds the onSend hook; `limit` is in characters of JSON (bytes, for ASCII). Returns a reader of what is held now. */
export function boundPendingReplies(app: FastifyInstance, limit: number): () => number {
  let pending = 0;
  app.addHook('onSend', async (request, reply, payload) => {
    const size = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload.length : 0;
    if (size < LARGE_REPLY_CHARS) return payload;
    if (pending + size > limit) {
      request.log.warn({ pending, size, limit }, 'a large reply was refused: too many large replies are waiting to be read');
      const what = `${pending} bytes of large replies are waiting for their clients to read them, and this one (${size}) would pass the limit of ${limit}`;
      void reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).type('application/json; charset=utf-8');
      return JSON.stringify(errorBody(createError('SERVER_BUSY', what, RETRY_AFTER_SECONDS)));
    }
    pending += size;
    // A response's 'close' comes once it is written in full, or when its connection closed first.
    reply.raw.once('close', () => (pending -= size));
    return payload;
  });
  return () => pending;
}
