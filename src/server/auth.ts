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

export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string' && header.startsWith('Bearer ')) return header.slice(7).trim();
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey : undefined;
}

export function registerAuth(app: FastifyInstance, options: AuthOptions): void {
  if (options.apiKey === undefined) return;
  const readWrite = digest(options.apiKey);
  const readOnly = options.readOnlyKey === undefined ? undefined : digest(options.readOnlyKey);
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (config?.public) return;
    const key = presentedKey(request);
    if (key === undefined) throw createError('UNAUTHORIZED');
    const presented = digest(key);
    if (timingSafeEqual(presented, readWrite)) return;
    if (readOnly && timingSafeEqual(presented, readOnly)) {
      if (config?.readOnly) return;
      throw createError('FORBIDDEN', `${request.method} ${request.routeOptions.url ?? request.url}`);
    }
    throw createError('UNAUTHORIZED');
  });
}
