/**
 * Issue 23, defect 1: one read-only request held the event loop for
 * seconds, took gigabytes and ended in a 500 (a search with k 10,000 and
 * vectors at dimension 4096, a list page of 10,000 with vectors, 10,000 ids
 * to get, a 1,024-term keyword query, a batch of heavy searches that worked
 * on after its client left). Each read is now bounded before its work,
 * large ones go a slice at a time, and a read stops when its client goes.
 */
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collection } from '../../src/index.js';
import { MAX_GET_IDS, MAX_K, MAX_LIST_LIMIT, MAX_QUERY_TERMS } from '../../src/core/options.js';
import { errorOf, expectStatus, makeApp, send, type TestApp } from './helpers.js';

const WIDE = 4096;
const TEXTS = 3_000;

function wideVector(i: number): number[] {
  return Array.from({ length: WIDE }, (_, d) => ((i * 31 + d * 7) % 101) / 101 + (d === i % WIDE ? 1 : 0));
}

let t: TestApp;

beforeAll(async () => {
  t = await makeApp();
  expectStatus(await send(t.app, 'POST', '/collections', { name: 'wide', dimension: WIDE, metric: 'l2' }), 201);
  const wide = Array.from({ length: 300 }, (_, i) => ({ id: `w${i}`, vector: wideVector(i) }));
  expectStatus(await send(t.app, 'POST', '/collections/wide/documents', { documents: wide }), 200);
  expectStatus(await send(t.app, 'POST', '/collections', { name: 'texts', dimension: 2 }), 201);
  const texts = Array.from({ length: TEXTS }, (_, i) => ({
    id: `t${i}`,
    vector: [1, i + 1],
    text: `alpha beta gamma ${'delta '.repeat(i % 50)}document number ${i}`,
    metadata: { i, note: 'n'.repeat(400) },
  }));
  expectStatus(await send(t.app, 'POST', '/collections/texts/documents', { documents: texts }), 200);
});

afterAll(async () => {
  await t.close();
});

describe('reads bounded before their work', () => {
  it('refuses vectors past MAX_RESULT_VECTOR_VALUES in a search, a list page and a get, naming the limit', async () => {
    const search = await send(t.app, 'POST', '/collections/wide/search', { vector: wideVector(1), k: MAX_K, exact: true, include: ['vector'] });
    expect(errorOf(search)).toMatchObject({ statusCode: 400, code: 'LIMIT_EXCEEDED' });
    expect(errorOf(search).message).toMatch(/MAX_RESULT_VECTOR_VALUES.*10000 x 4096.*at most 256 at a time/);
    const list = await send(t.app, 'POST', '/collections/wide/documents/list', { limit: MAX_LIST_LIMIT, include: ['vector'] });
    expect(errorOf(list)).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    const ids = Array.from({ length: 300 }, (_, i) => `w${i}`);
    expect(errorOf(await send(t.app, 'POST', '/collections/wide/documents/get', { ids }))).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    // Within the bound, or without vectors, the same reads answer.
    const fewer = await send(t.app, 'POST', '/collections/wide/search', { vector: wideVector(1), k: 256, exact: true, include: ['vector'] });
    expect((expectStatus(fewer, 200).json() as { hits: { vector: number[] }[] }).hits[0]!.vector).toHaveLength(WIDE);
    expect((expectStatus(await send(t.app, 'POST', '/collections/wide/documents/get', { ids, include: [] }), 200).json() as { documents: unknown[] }).documents).toHaveLength(300);
    expect((expectStatus(await send(t.app, 'POST', '/collections/wide/documents/list', { limit: MAX_LIST_LIMIT, include: [] }), 200).json() as { documents: unknown[] }).documents).toHaveLength(300);
  });

  it('refuses more than MAX_GET_IDS ids and keyword queries of more than MAX_QUERY_TERMS distinct terms', async () => {
    const ids = Array.from({ length: MAX_GET_IDS + 1 }, (_, i) => `t${i}`);
    const get = await send(t.app, 'POST', '/collections/texts/documents/get', { ids, include: [] });
    expect(errorOf(get)).toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/MAX_GET_IDS/) });
    const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}x`).join(' ');
    const long = await send(t.app, 'POST', '/collections/texts/search', { text: words(MAX_QUERY_TERMS + 1), k: MAX_K });
    expect(errorOf(long)).toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/MAX_QUERY_TERMS/) });
    // Repeating a term does not count it twice.
    expectStatus(await send(t.app, 'POST', '/collections/texts/search', { text: `${words(MAX_QUERY_TERMS)} ${words(MAX_QUERY_TERMS)}` }), 200);
  });

  it('fails a batch whose reply would pass MAX_BATCH_REPLY_BYTES, not the server', async () => {
    const heavy = { text: 'alpha delta', k: MAX_K, include: ['metadata', 'text'] };
    const reply = await send(t.app, 'POST', '/collections/texts/search/batch', { searches: Array.from({ length: 100 }, () => heavy) });
    expect(errorOf(reply)).toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/MAX_BATCH_REPLY_BYTES/) });
  });
});

describe('large reads share the event loop', () => {
  it('answers /health while a large search, list page and get are under way', async () => {
    const settled: string[] = [];
    const track = (name: string, reply: Promise<unknown>) => reply.then(() => settled.push(name));
    const all = TEXTS;
    const heavy = [
      track('search', send(t.app, 'POST', '/collections/texts/search', { text: 'alpha delta', vector: [1, 5], k: all, include: ['metadata', 'text'] })),
      track('list', send(t.app, 'POST', '/collections/texts/documents/list', { limit: all })),
      track('get', send(t.app, 'POST', '/collections/texts/documents/get', { ids: Array.from({ length: all }, (_, i) => `t${i}`), include: ['metadata'] })),
    ];
    expectStatus(await send(t.app, 'GET', '/health'), 200);
    settled.push('health');
    await Promise.all(heavy);
    // Each of the three reads goes in several slices, with a turn for /health between them.
    expect(settled.indexOf('health')).toBeLessThan(3);
    expect(settled.indexOf('health')).toBe(0);
  });

  it('stops a batch search when its client goes away', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    const texts: Collection = t.db.collection('texts');
    let searches = 0;
    const search = texts.search.bind(texts);
    texts.search = ((request: Parameters<Collection['search']>[0]) => {
      searches++;
      return search(request);
    }) as Collection['search'];
    try {
      // Each search different, so none is answered from the result cache.
      const heavy = (i: number) => ({ text: 'alpha delta', vector: [1, 5 + i], k: 2_000, include: ['metadata'] });
      const body = JSON.stringify({ searches: Array.from({ length: 100 }, (_, i) => heavy(i)) });
      const socket = connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(`POST /collections/texts/search/batch HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      while (searches < 2) await new Promise((resolve) => setTimeout(resolve, 1));
      socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const after = searches;
      await new Promise((resolve) => setTimeout(resolve, 300));
      // It stopped within a search or two of the client leaving, far short of the hundred, and does nothing more.
      expect(after).toBeLessThan(20);
      expect(searches).toBe(after);
    } finally {
      delete (texts as Partial<Collection>).search;
    }
  });

  it('closes a connection whose body does not arrive within the request timeout', async () => {
    const quick = await makeApp({ requestTimeoutMs: 300 });
    try {
      await quick.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = quick.app.server.address() as AddressInfo;
      const socket = connect(port, '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString()));
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.write('POST /collections HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"name":');
      const started = Date.now();
      await closed;
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(quick.db.listCollections()).toEqual([]);
    } finally {
      await quick.close();
    }
  });
});
