/**
 * How request bodies are read: Fastify's own JSON parser (prototype
 * poisoning refused), for UTF-8 bodies only, since a body declared in
 * another charset would be misread. An empty body parses as no body, so a
 * route without arguments (optimize) accepts it and the others report the
 * body missing through their schema.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createError } from '../core/errors.js';

type Done = (error: Error | null, body?: unknown) => void;

/** The charset a request declares for its body, lower-cased, if any. */
function charsetOf(request: FastifyRequest): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
}

/** Whether the body is UTF-8 as declared: no charset, or utf-8. */
export function isUtf8Body(request: FastifyRequest): boolean {
  const charset = charsetOf(request);
  return charset === undefined || charset === 'utf-8' || charset === 'utf8';
}

/** A content-type parser for `application/json` bodies read as strings (see the header). */
export function jsonBodyParser(app: FastifyInstance): (request: FastifyRequest, body: string | Buffer, done: Done) => void {
  const parse = app.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    if (!isUtf8Body(request)) {
      done(createError('INVALID_REQUEST', `request bodies are read as UTF-8 JSON; charset=${charsetOf(request)} is not supported`), undefined);
      return;
    }
    const text = typeof body === 'string' ? body : body.toString();
    if (text === '') {
      done(null, undefined);
      return;
    }
    parse(request, text, done);
  };
}
