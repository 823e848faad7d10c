/**
 * API keys: a read-write key and an optional read-only key, sent as
 * `Authorization: Bearer <key>` or `x-api-key: <key>`. Every route but the
 * health routes needs a key once one is configured; the read-only key may
 * only use routes marked `config.readOnly`. Keys are compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createError } from '../core/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route only reads: the read-only key may use it. */
    readOnly?: boolean;
    /** The route needs no key (health checks). */
    public?: boolean;
  }
}

export interface AuthOptions {
  apiKey: string | undefined;
  readOnlyKey: string | undefined;
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** What a request's key allows, once checked against the configured keys. */
export type Access = 'open' | 'read-write' | 'read-only' | 'none';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `accessOf`, so the key is hashed and compared once per request. */
    quiverAccess?: Access;
  }
}

/** The key a request presents: `Authorization: Bearer <key>` (the scheme in any case) or `x-api-key`. */
function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^bearer\s+(.+)$/i.exec(header);
    if (match) return match[1]!.trim();
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey : undefined;
}

/**
 * Checks keys in constant time. `accessOf` is what the rate limiter keys on
 * (a verified key, else the client's address) and what the auth hook enforces.
 */
export function keyChecker(options: AuthOptions): (request: FastifyRequest) => Access {
  if (options.apiKey === undefined) return () => 'open';
  const readWrite = digest(options.apiKey);
  const readOnly = options.readOnlyKey === undefined ? undefined : digest(options.readOnlyKey);
  return (request) => {
    if (request.quiverAccess !== undefined) return request.quiverAccess;
    const key = presentedKey(request);
    let access: Access = 'none';
    if (key !== undefined) {
      const presented = digest(key);
      if (timingSafeEqual(presented, readWrite)) access = 'read-write';
      else if (readOnly && timingSafeEqual(presented, readOnly)) access = 'read-only';
    }
    request.quiverAccess = access;
    return access;
  };
}

export function registerAuth(app: FastifyInstance, accessOf: (request: FastifyRequest) => Access): void {
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (config?.public) return;
    const access = accessOf(request);
    if (access === 'open' || access === 'read-write') return;
    if (access === 'none') throw createError('UNAUTHORIZED');
    // A route that does not exist is answered 404 to either key: there is nothing there to forbid.
    if (config?.readOnly || request.routeOptions.url === undefined) return;
    throw createError('FORBIDDEN', `${request.method} ${request.routeOptions.url}`);
  });
}
