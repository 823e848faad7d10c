/**
 * An AbortSignal per request that fires when its client goes away before
 * the reply is written (the connection closed): the engine's long reads
 * and the batch search stop at their next slice (REQUEST_ABORTED), instead
 * of working on for nobody.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    quiverSignal?: AbortSignal;
  }
}

export function requestSignal(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  if (request.quiverSignal !== undefined) return request.quiverSignal;
  const controller = new AbortController();
  const response = reply.raw;
  // 'close' also comes after a reply is written in full: only an unfinished one means the client left.
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  request.quiverSignal = controller.signal;
  return controller.signal;
}
