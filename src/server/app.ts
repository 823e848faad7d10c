/**
 * buildApp(db, options) -> a Fastify instance with every route, never
 * listening (cli/serve.ts listens; tests use app.inject). The server is a thin
 * layer over the library API: validated input -> engine -> reply.
 */
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { ResultCache, type SecondLevelCache } from './cache/result-cache.js';
import { createError } from '../core/errors.js';
import { MAX_ID_BYTES } from '../core/options.js';
import type { Engine } from './engine.js';
import { keyChecker, registerAuth } from './auth.js';
import {
  DEFAULT_BODY_LIMIT,
  DEFAULT_CACHE_MAX_BYTES,
  DEFAULT_CACHE_MAX_ENTRIES,
  DEFAULT_CACHE_TTL_MS,
  DEFAULT_PENDING_REPLY_BYTES,
  DEFAULT_RATE_LIMIT_MAX,
  DEFAULT_AUTH_FAILURE_LIMIT,
  DEFAULT_RATE_LIMIT_WINDOW_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type ServerConfig,
} from './config.js';
import type { AppContext } from './context.js';
import { registerErrorHandler, sendError } from './error-handler.js';
import { jsonBodyParser } from './json-body.js';
import { registerMetrics } from './metrics.js';
import { boundPendingReplies } from './reply-memory.js';
import { accessRoutes } from './routes/access.js';
import { aliasRoutes } from './routes/aliases.js';
import { backupRoutes } from './routes/backup.js';
import { clusterRoutes } from './routes/cluster.js';
import { semanticCacheRoutes } from './routes/semantic-cache.js';
import { collectionRoutes } from './routes/collections.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { documentRoutes } from './routes/documents.js';
import { healthRoutes } from './routes/health.js';
import { searchRoutes } from './routes/search.js';

export type AppOptions = Partial<
  Pick<
    ServerConfig,
    'apiKey' | 'readOnlyKey' | 'backupDir' | 'rateLimitMax' | 'rateLimitWindowMs' | 'authFailureLimit' | 'cacheMaxEntries' | 'cacheMaxBytes' | 'cacheTtlMs' | 'bodyLimit' | 'requestTimeoutMs' | 'pendingReplyBytes' | 'logLevel'
  >
> & {
  /** Shared second cache level (RedisCache in production). */
  secondLevelCache?: SecondLevelCache;
  /** The server's logger (server/logger.ts); without one, `logLevel` makes Fastify's default JSON logger. */
  logger?: FastifyBaseLogger;
};

export interface QuiverApp {
  app: FastifyInstance;
  cache: ResultCache;
  /** Marks the server as shutting down: readiness answers 503. */
  drain(): void;
}

/** How often the HTTP server looks for requests past their timeout. */
const CONNECTIONS_CHECK_MS = 1_000;

export async function buildApp(db: Engine, options: AppOptions = {}): Promise<QuiverApp> {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const app = Fastify({
    bodyLimit,
    // Fastify's default is no limit: connections that sent half a body and stopped stayed open for good.
    requestTimeout,
    // Node looks for requests past their timeout every 30 s by default: a late body waited up to that much longer.
    http: { connectionsCheckingInterval: CONNECTIONS_CHECK_MS },
    // Fastify 5.12 deprecates the top-level disableRequestLogging (FSTDEP023) in favour of a LogController.
    logController: new LogController({ disableRequestLogging: true }),
    // Ids of up to MAX_ID_BYTES bytes travel in paths percent-encoded: 3 characters a byte (Fastify's default allows 100).
    routerOptions: { maxParamLength: 3 * MAX_ID_BYTES },
    // Malformed URLs and over-long path parameters fail before routing: give them the standard error body too.
    frameworkErrors: (error, request, reply) => sendError(error, request, reply, bodyLimit),
    ...(options.logger !== undefined
      ? { loggerInstance: options.logger }
      : { logger: options.logLevel === undefined || options.logLevel === 'silent' ? false : { level: options.logLevel } }),
    ajv: {
      // Unknown fields are errors, not silently dropped; types are never coerced.
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false },
    },
  });
  // Node enforces requestTimeout only when the headers' timeout is not longer (it defaults to 60 s when the server is made).
  if (requestTimeout > 0) app.server.headersTimeout = Math.min(app.server.headersTimeout, requestTimeout);
  const cache = new ResultCache({
    maxEntries: options.cacheMaxEntries ?? DEFAULT_CACHE_MAX_ENTRIES,
    maxBytes: options.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES,
    ttlMs: options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS,
    secondLevel: options.secondLevelCache,
  });
  let draining = false;
  const metrics = registerMetrics(app, db, cache);
  const context: AppContext = { db, cache, metrics, draining: () => draining };

  registerErrorHandler(app, bodyLimit);
  boundPendingReplies(app, options.pendingReplyBytes ?? DEFAULT_PENDING_REPLY_BYTES);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonBodyParser(app));
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Quiver',
        description:
          'Vector, keyword and hybrid search over HTTP. When the server has API keys, every route but /health needs one ' +
          '(Authorization: Bearer <key> or x-api-key), this document and the /docs page included: the read-only key is enough to read them.',
        version: '0.1.0',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
  });
  // The docs UI only shows the OpenAPI document, which the read-only key may read (/openapi.json): so may it the UI.
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) route.config = { ...route.config, readOnly: true };
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  const accessOf = keyChecker({ apiKey: options.apiKey, readOnlyKey: options.readOnlyKey });
  const rateLimitMax = options.rateLimitMax ?? DEFAULT_RATE_LIMIT_MAX;
  const authFailureLimit = options.apiKey === undefined ? 0 : (options.authFailureLimit ?? DEFAULT_AUTH_FAILURE_LIMIT);
  if (rateLimitMax > 0 || authFailureLimit > 0) {
    const timeWindow = options.rateLimitWindowMs ?? DEFAULT_RATE_LIMIT_WINDOW_MS;
    await app.register(rateLimit, {
      // Not per route: the plugin's route hooks would run after auth's, so failed keys were never counted.
      global: false,
      timeWindow,
      errorResponseBuilder: (_request, context) =>
        Object.assign(createError('RATE_LIMITED', Math.ceil(context.ttl / 1000)), { retryAfterSeconds: Math.ceil(context.ttl / 1000) }),
    });
    // Which budget a request draws on. With keys on, a request without a valid key draws on its address's
    // budget for guesses (QUIVER_AUTH_FAILURE_LIMIT), apart from the clients' own. Otherwise per client: a
    // verified key's holders share one budget; anyone else is counted by address, so sending made-up keys
    // never buys a fresh budget. Undefined: not limited.
    const budgetOf = (request: FastifyRequest): { key: string; max: number } | undefined => {
      const access = accessOf(request);
      if (access === 'none' && authFailureLimit > 0 && !request.routeOptions.config?.public) return { key: `guess:${request.ip}`, max: authFailureLimit };
      if (rateLimitMax === 0) return undefined;
      return { key: access === 'read-write' || access === 'read-only' ? `key:${access}` : `address:${request.ip}`, max: rateLimitMax };
    };
    const limit = app.rateLimit({
      timeWindow,
      keyGenerator: (request) => budgetOf(request)!.key,
      max: (request) => budgetOf(request)!.max,
    });
    // Before auth (hooks run in the order added), and for unknown routes too: guessing keys or URLs is throttled.
    app.addHook('onRequest', async (request, reply) => {
      if (request.routeOptions.config?.rateLimit === false || budgetOf(request) === undefined) return;
      await limit.call(app, request, reply);
    });
  }
  registerAuth(app, accessOf);

  healthRoutes(app, context);
  accessRoutes(app, accessOf);
  collectionRoutes(app, context);
  aliasRoutes(app, context);
  documentRoutes(app, context);
  backupRoutes(app, context, options.backupDir);
  clusterRoutes(app, context);
  semanticCacheRoutes(app, context);
  await app.register(async (scope) => searchRoutes(scope, context));
  await dashboardRoutes(app);
  app.get('/metrics', { config: { readOnly: true }, schema: { tags: ['health'], summary: 'Prometheus metrics.', hide: false } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  app.get('/openapi.json', { config: { readOnly: true }, schema: { hide: true } }, async () => app.swagger());
  app.addHook('onClose', async () => cache.close());
  return { app, cache, drain: () => (draining = true) };
}
