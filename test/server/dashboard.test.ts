/**
 * The dashboard's files as the server serves them: at /dashboard/ without a
 * key (the page holds no data; it asks for one), compressed when the
 * browser accepts it, under a strict Content-Security-Policy, and nothing
 * else under /dashboard/. GET /access tells the page what its key allows.
 * The page itself is tested in chromium: test/dashboard/browser.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandler } from '../../src/server/error-handler.js';
import { DASHBOARD_DIR, dashboardRoutes } from '../../src/server/routes/dashboard.js';
import { errorOf, makeApp, send, type TestApp } from './helpers.js';

const KEY = 'dashboard-key-0123456789';
const READ_ONLY_KEY = 'dashboard-read-only-0123456789';

let t: TestApp;
beforeAll(async () => {
  t = await makeApp({ apiKey: KEY, readOnlyKey: READ_ONLY_KEY });
});
afterAll(async () => t.close());

describe('the dashboard files', () => {
  it('/dashboard redirects to /dashboard/, which is the page, served without a key', async () => {
    const redirect = await send(t.app, 'GET', '/dashboard');
    expect(redirect.statusCode).toBe(301);
    expect(redirect.headers.location).toBe('/dashboard/');
    const page = await send(t.app, 'GET', '/dashboard/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toBe(readFileSync(join(DASHBOARD_DIR, 'index.html'), 'utf8'));
    expect(page.body).toContain('<script type="module" src="app.js">');
  });

  it('sends a strict Content-Security-Policy: scripts, styles and calls from this server only, no frames', async () => {
    for (const file of ['/dashboard/', '/dashboard/app.js', '/dashboard/app.css']) {
      const reply = await send(t.app, 'GET', file);
      expect(reply.statusCode, file).toBe(200);
      const policy = String(reply.headers['content-security-policy']);
      for (const directive of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) expect(policy, file).toContain(directive);
      expect(policy).not.toContain('unsafe');
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(reply.headers['cache-control']).toBe('no-cache');
    }
  });

  it('lets browsers keep the chunks (their names carry their content\'s hash) and revalidate the rest', async () => {
    const chunks = readdirSync(join(DASHBOARD_DIR, 'chunks')).filter((name) => name.endsWith('.js'));
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) {
      expect(chunk).toMatch(/-[A-Z0-9]{8}\.js$/);
      const reply = await send(t.app, 'GET', `/dashboard/chunks/${chunk}`);
      expect(reply.statusCode, chunk).toBe(200);
      expect(reply.headers['cache-control'], chunk).toBe('public, max-age=31536000, immutable');
    }
  });

  it('sends the brotli or gzip copy to browsers that accept it, the same bytes once decoded', async () => {
    const plain = await t.app.inject({ method: 'GET', url: '/dashboard/app.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['content-type']).toMatch(/javascript/);
    const brotli = await t.app.inject({ method: 'GET', url: '/dashboard/app.js', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(brotli.headers['content-encoding']).toBe('br');
    expect(brotli.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
    expect(brotliDecompressSync(brotli.rawPayload).equals(plain.rawPayload)).toBe(true);
    const gzip = await t.app.inject({ method: 'GET', url: '/dashboard/app.js', headers: { 'accept-encoding': 'gzip' } });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.rawPayload).equals(plain.rawPayload)).toBe(true);
  });

  it('serves only the built files: anything else under /dashboard/ needs a key like any unknown route', async () => {
    for (const url of ['/dashboard/nothing.js', '/dashboard/../package.json', '/dashboard/app.js.br', '/dashboard/%2e%2e/package.json']) {
      const reply = await send(t.app, 'GET', url);
      expect([401, 404], url).toContain(reply.statusCode);
      expect(reply.body, url).not.toContain('"name": "quiverdb"');
    }
    const withKey = await send(t.app, 'GET', '/dashboard/nothing.js', undefined, { 'x-api-key': KEY });
    expect(withKey.statusCode).toBe(404);
  });

  it('a build without the dashboard answers 501 NOT_CONFIGURED, saying how to build it', async () => {
    const app = Fastify();
    registerErrorHandler(app, 1024);
    await dashboardRoutes(app, '/nonexistent/quiver-dashboard');
    for (const url of ['/dashboard', '/dashboard/', '/dashboard/app.js']) {
      const reply = await app.inject({ method: 'GET', url });
      expect(reply.statusCode, url).toBe(501);
      expect(errorOf(reply).code).toBe('NOT_CONFIGURED');
      expect(errorOf(reply).message).toContain('npm run build:dashboard');
    }
    await app.close();
  });
});

describe('GET /access', () => {
  it('says what the key allows, and is 401 without a valid one', async () => {
    expect((await send(t.app, 'GET', '/access', undefined, { authorization: `Bearer ${KEY}` })).json()).toEqual({ access: 'read-write' });
    expect((await send(t.app, 'GET', '/access', undefined, { 'x-api-key': READ_ONLY_KEY })).json()).toEqual({ access: 'read-only' });
    for (const headers of [{}, { 'x-api-key': 'not-a-key' }] as Record<string, string>[]) {
      const reply = await send(t.app, 'GET', '/access', undefined, headers);
      expect(reply.statusCode).toBe(401);
      expect(errorOf(reply).code).toBe('UNAUTHORIZED');
    }
  });

  it('is open on a server without keys', async () => {
    const open = await makeApp();
    expect((await send(open.app, 'GET', '/access')).json()).toEqual({ access: 'open' });
    await open.close();
  });
});
