/**
 * Rate limits: past `rateLimitMax` requests in the window a client gets 429
 * RATE_LIMITED with Retry-After and the standard error body; health checks
 * are never limited; clients are counted apart (by a verified key, else by
 * address), and failed keys count too. By default nothing is limited but
 * requests without a valid key when keys are on (issue 24, item 11).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_AUTH_FAILURE_LIMIT } from '../../src/server/config.js';
import { COLLECTION, errorOf, makeApp, seedVector, send, type TestApp } from './helpers.js';

const KEY = 'read-write-key-0123456789';
const READ_ONLY_KEY = 'read-only-key-0123456789';

let t: TestApp | undefined;

afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('rate limits', () => {
  it('the request after the limit gets 429 RATE_LIMITED with Retry-After and the standard body', async () => {
    t = await makeApp({ rateLimitMax: 3, rateLimitWindowMs: 60_000 });
    const url = '/collections';
    for (let i = 0; i < 3; i++) {
      const reply = await send(t.app, 'GET', url);
      expect(reply.statusCode).toBe(200);
      expect(reply.headers['x-ratelimit-limit']).toBe('3');
      expect(reply.headers['x-ratelimit-remaining']).toBe(String(2 - i));
    }
    const limited = await send(t.app, 'POST', url, { name: 'x', dimension: 2 });
    expect(limited.statusCode).toBe(429);
    expect(errorOf(limited)).toEqual({ statusCode: 429, code: 'RATE_LIMITED', error: 'Too Many Requests', message: expect.any(String) });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The limited write did nothing.
    expect(t.db.hasCollection('x')).toBe(false);
  });

  it('limits every kind of route, and health checks never', async () => {
    t = await makeApp({ rateLimitMax: 2 });
    const collection = await t.db.createCollection(COLLECTION, { dimension: 4 });
    await collection.upsert([{ id: 'd0', vector: seedVector(0) }]);
    const docs = `/collections/${COLLECTION}`;
    expect((await send(t.app, 'POST', `${docs}/search`, { vector: seedVector(0) })).statusCode).toBe(200);
    expect((await send(t.app, 'GET', '/metrics')).statusCode).toBe(200);
    const limited = [
      await send(t.app, 'POST', `${docs}/search`, { vector: seedVector(0) }),
      await send(t.app, 'POST', `${docs}/search/batch`, { searches: [{ vector: seedVector(0) }] }),
      await send(t.app, 'POST', `${docs}/documents`, { documents: [{ id: 'd1', vector: seedVector(1) }] }),
      await send(t.app, 'POST', `${docs}/documents/delete`, { ids: ['d0'] }),
      await send(t.app, 'GET', `${docs}/documents/d0`),
      await send(t.app, 'DELETE', docs),
      await send(t.app, 'GET', '/metrics'),
      await send(t.app, 'GET', '/openapi.json'),
    ];
    for (const reply of limited) expect(errorOf(reply).code).toBe('RATE_LIMITED');
    expect(collection.count).toBe(1);
    for (let i = 0; i < 5; i++) {
      expect((await send(t.app, 'GET', '/health')).statusCode).toBe(200);
      expect((await send(t.app, 'GET', '/health/ready')).statusCode).toBe(200);
    }
  });

  it('counts clients apart: by address, and by API key when one is sent', async () => {
    t = await makeApp({ rateLimitMax: 1, apiKey: KEY, readOnlyKey: READ_ONLY_KEY });
    const get = (headers: Record<string, string>, remoteAddress = '10.0.0.1') =>
      t!.app.inject({ method: 'GET', url: '/collections', headers, remoteAddress });
    expect((await get({ 'x-api-key': KEY })).statusCode).toBe(200);
    expect((await get({ authorization: `Bearer ${KEY}` }, '10.0.0.2')).statusCode).toBe(429);
    expect((await get({ 'x-api-key': READ_ONLY_KEY })).statusCode).toBe(200);
    expect((await get({ 'x-api-key': READ_ONLY_KEY })).statusCode).toBe(429);

    const open = await makeApp({ rateLimitMax: 1 });
    const byAddress = (remoteAddress: string) => open.app.inject({ method: 'GET', url: '/collections', remoteAddress });
    expect((await byAddress('10.0.0.1')).statusCode).toBe(200);
    expect((await byAddress('10.0.0.1')).statusCode).toBe(429);
    expect((await byAddress('10.0.0.2')).statusCode).toBe(200);
    await open.close();
  });

  it('made-up keys buy no fresh budget: without keys configured every request counts by address', async () => {
    t = await makeApp({ rateLimitMax: 2 });
    const get = (headers: Record<string, string>) => t!.app.inject({ method: 'GET', url: '/collections', headers, remoteAddress: '10.0.0.1' });
    expect((await get({})).statusCode).toBe(200);
    expect((await get({ 'x-api-key': 'made-up-1' })).statusCode).toBe(200);
    for (let i = 2; i < 12; i++) expect((await get({ 'x-api-key': `made-up-${i}`, authorization: `Bearer other-${i}` })).statusCode).toBe(429);
  });

  it('by default one client is never limited: a pipeline or a benchmark on loopback is not throttled', async () => {
    t = await makeApp({ rateLimitMax: undefined });
    const statuses = new Set<number>();
    for (let i = 0; i < 300; i++) statuses.add((await send(t.app, 'GET', '/collections')).statusCode);
    expect([...statuses]).toEqual([200]);
  });

  it('by default, with keys on, guesses are limited per address and the real key at that address is not', async () => {
    t = await makeApp({ rateLimitMax: undefined, apiKey: KEY });
    const get = (headers: Record<string, string>) => t!.app.inject({ method: 'GET', url: '/collections', headers, remoteAddress: '10.0.0.7' });
    const guesses: number[] = [];
    for (let i = 0; i < DEFAULT_AUTH_FAILURE_LIMIT + 5; i++) guesses.push((await get({ 'x-api-key': `guess-${i}-0123456789` })).statusCode);
    expect(guesses.slice(0, DEFAULT_AUTH_FAILURE_LIMIT).every((status) => status === 401)).toBe(true);
    expect(guesses.slice(DEFAULT_AUTH_FAILURE_LIMIT)).toEqual([429, 429, 429, 429, 429]);
    for (let i = 0; i < DEFAULT_AUTH_FAILURE_LIMIT + 5; i++) expect((await get({ 'x-api-key': KEY })).statusCode).toBe(200);
    // Health checks need no key and are never limited.
    expect((await get({})).statusCode).toBe(429);
    expect((await t.app.inject({ method: 'GET', url: '/health', remoteAddress: '10.0.0.7' })).statusCode).toBe(200);
  });

  it('wrong keys are counted and throttled, and do not use up the budget of the real key', async () => {
    t = await makeApp({ rateLimitMax: 0, authFailureLimit: 3, apiKey: KEY });
    const get = (headers: Record<string, string>) => t!.app.inject({ method: 'GET', url: '/collections', headers, remoteAddress: '10.0.0.9' });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await get({ 'x-api-key': `guess-${i}-0123456789` })).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
    expect((await get({ 'x-api-key': KEY })).statusCode).toBe(200);
  });

  it('the window passes and requests are allowed again', async () => {
    t = await makeApp({ rateLimitMax: 1, rateLimitWindowMs: 100 });
    expect((await send(t.app, 'GET', '/collections')).statusCode).toBe(200);
    expect((await send(t.app, 'GET', '/collections')).statusCode).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await send(t.app, 'GET', '/collections')).statusCode).toBe(200);
  });

  it('rateLimitMax 0 turns limiting off', async () => {
    t = await makeApp({ rateLimitMax: 0 });
    for (let i = 0; i < 50; i++) expect((await send(t.app, 'GET', '/collections')).statusCode).toBe(200);
  });
});
