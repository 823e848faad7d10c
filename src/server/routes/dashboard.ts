/**
 * The web dashboard at /dashboard/: the static files `npm run build:dashboard`
 * writes to build/dashboard (dashboard/ holds their sources). The files are
 * public, as they hold no data: the page asks for a key when the server has
 * keys and sends it with every API call it makes, so the API routes' own key
 * checks decide what it may read and change.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { createError } from '../../core/errors.js';

/** build/dashboard beside build/kernels.wasm: the same path from src/ (tests, tsx) and from dist/ (the package). */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../../build/dashboard/', import.meta.url));

export const DASHBOARD_PREFIX = '/dashboard';

/**
 * Scripts, styles and API calls from this server only; nothing inline, no
 * frames: a key typed into the page can only go back to this server.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export async function dashboardRoutes(app: FastifyInstance, directory = DASHBOARD_DIR): Promise<void> {
  // The page and its files need no key: it is the page that asks for one.
  app.addHook('onRoute', (route) => {
    if (route.url === DASHBOARD_PREFIX || route.url.startsWith(`${DASHBOARD_PREFIX}/`)) route.config = { ...route.config, public: true };
  });
  if (!existsSync(`${directory}/index.html`)) {
    // A checkout whose build skipped the dashboard: say how to get it rather than 404 on a page the docs name.
    const notBuilt = async (): Promise<never> => {
      throw createError('NOT_CONFIGURED', 'dashboard', `its files were not built into ${directory} (run npm run build:dashboard)`);
    };
    app.get(DASHBOARD_PREFIX, { schema: { hide: true } }, notBuilt);
    app.get(`${DASHBOARD_PREFIX}/*`, { schema: { hide: true } }, notBuilt);
    return;
  }
  await app.register(fastifyStatic, {
    root: directory,
    prefix: `${DASHBOARD_PREFIX}/`,
    // One route per file found now, not a wildcard: nothing else under /dashboard/ can be asked for.
    wildcard: false,
    globIgnore: ['**/*.gz', '**/*.br'],
    // The build writes .br and .gz beside each file: sent to browsers that accept them, the bundle is a quarter of its size.
    preCompressed: true,
    redirect: true,
    decorateReply: false,
    // The page, app.js and app.css are revalidated on each load (by ETag), so a new build is never mixed with
    // an old one; the chunks they import have the hash of their content in their names, so they never change.
    cacheControl: false,
    setHeaders(reply, path) {
      reply.header('cache-control', path.includes('/chunks/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
    },
  });
}
