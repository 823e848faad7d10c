/**
 * Bad input of every kind gets a 4xx with its code and changes nothing: the
 * collection's version and count, one document, and a digest of everything
 * stored are the same before and after each request.
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/index.js';
import { STATUS } from '../../src/server/error-handler.js';
import { COLLECTION, SEED_COUNT, base64, digest, errorOf, makeApp, seed, seedVector, send, type TestApp } from './helpers.js';

/** Small enough that an oversized body is cheap to build. */
const BODY_LIMIT = 64 * 1024;

let t: TestApp;
let before: { digest: string; version: number; count: number; d0: string; collections: string };

async function state() {
  // The indexing backlog (in /collections) falls to 0 on its own: compare settled states.
  await t.db.collection(COLLECTION).indexed();
  const info = t.db.collection(COLLECTION).info;
  return {
    digest: await digest(t.db),
    version: info.version,
    count: info.count,
    d0: (await send(t.app, 'GET', `/collections/${COLLECTION}/documents/d0`)).body,
    collections: (await send(t.app, 'GET', '/collections')).body,
  };
}

beforeAll(async () => {
  t = await makeApp({ bodyLimit: BODY_LIMIT });
  await seed(t.app);
  before = await state();
});

afterAll(async () => {
  await t.close();
});

interface Case {
  name: string;
  method?: InjectOptions['method'];
  url: string;
  /** An object is sent as JSON; a string or Buffer as it is. */
  body?: unknown;
  headers?: Record<string, string>;
  code: ErrorCode;
}

const docs = `/collections/${COLLECTION}`;
const good = { id: 'new', vector: [1, 2, 3, 4] };
const deep = (depth: number, leaf: string) => {
  let json = leaf;
  for (let i = 0; i < depth; i++) json = `{"$and":[${json}]}`;
  return json;
};

const cases: Case[] = [
  // Malformed bodies.
  { name: 'malformed JSON (upsert)', url: `${docs}/documents`, body: '{"documents":[{"id":"new","vector":[1,2,3,4]}]', code: 'INVALID_REQUEST' },
  { name: 'malformed JSON (delete)', url: `${docs}/documents/delete`, body: "{'ids':['d0']}", code: 'INVALID_REQUEST' },
  { name: 'malformed JSON (create)', url: '/collections', body: '{"name":"x","dimension":2,}', code: 'INVALID_REQUEST' },
  { name: 'empty JSON body', url: `${docs}/documents`, body: '', code: 'INVALID_REQUEST' },
  { name: 'JSON null body', url: `${docs}/documents/delete`, body: 'null', code: 'INVALID_REQUEST' },
  { name: 'JSON array body', url: `${docs}/documents`, body: '[{"id":"new","vector":[1,2,3,4]}]', code: 'INVALID_REQUEST' },
  { name: 'prototype poisoning', url: `${docs}/documents`, body: '{"documents":[{"id":"new","vector":[1,2,3,4],"metadata":{"__proto__":{"x":1}}}]}', code: 'INVALID_REQUEST' },
  { name: 'text/plain body', url: `${docs}/documents/delete`, body: '{"ids":["d0"]}', headers: { 'content-type': 'text/plain' }, code: 'INVALID_REQUEST' },
  { name: 'form body', url: `${docs}/documents/delete`, body: 'ids=d0', headers: { 'content-type': 'application/x-www-form-urlencoded' }, code: 'INVALID_REQUEST' },
  { name: 'no body at all', url: `${docs}/documents/delete`, code: 'INVALID_REQUEST' },
  { name: 'binary garbage as JSON', url: `${docs}/documents`, body: Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22]), code: 'INVALID_REQUEST' },

  // Wrong types.
  { name: 'k as a string', url: `${docs}/search`, body: { vector: seedVector(0), k: '5' }, code: 'INVALID_REQUEST' },
  { name: 'k as a float', url: `${docs}/search`, body: { vector: seedVector(0), k: 2.5 }, code: 'INVALID_REQUEST' },
  { name: 'k out of range', url: `${docs}/search`, body: { vector: seedVector(0), k: 0 }, code: 'INVALID_REQUEST' },
  { name: 'exact as a string', url: `${docs}/search`, body: { vector: seedVector(0), exact: 'true' }, code: 'INVALID_REQUEST' },
  { name: 'vector of strings', url: `${docs}/documents`, body: { documents: [{ id: 'new', vector: ['1', '2', '3', '4'] }] }, code: 'INVALID_REQUEST' },
  { name: 'vector as an object', url: `${docs}/documents`, body: { documents: [{ id: 'new', vector: { 0: 1 } }] }, code: 'INVALID_REQUEST' },
  { name: 'id as a number', url: `${docs}/documents`, body: { documents: [{ id: 7, vector: [1, 2, 3, 4] }] }, code: 'INVALID_REQUEST' },
  { name: 'text as a number', url: `${docs}/documents`, body: { documents: [{ ...good, text: 5 }] }, code: 'INVALID_REQUEST' },
  { name: 'metadata as an array', url: `${docs}/documents`, body: { documents: [{ ...good, metadata: [1] }] }, code: 'INVALID_REQUEST' },
  { name: 'documents as an object', url: `${docs}/documents`, body: { documents: good }, code: 'INVALID_REQUEST' },
  { name: 'ids as a string', url: `${docs}/documents/delete`, body: { ids: 'd0' }, code: 'INVALID_REQUEST' },
  { name: 'filter as a string', url: `${docs}/documents/delete`, body: { filter: 'group = 0' }, code: 'INVALID_REQUEST' },
  { name: 'dimension as a string', url: '/collections', body: { name: 'x', dimension: '4' }, code: 'INVALID_REQUEST' },
  { name: 'unknown metric', url: '/collections', body: { name: 'x', dimension: 4, metric: 'hamming' }, code: 'INVALID_REQUEST' },

  // Unknown and missing fields.
  { name: 'unknown top-level field (upsert)', url: `${docs}/documents`, body: { documents: [good], upsert: true }, code: 'INVALID_REQUEST' },
  { name: 'unknown document field', url: `${docs}/documents`, body: { documents: [{ ...good, color: 'red' }] }, code: 'INVALID_REQUEST' },
  { name: 'unknown search field', url: `${docs}/search`, body: { vector: seedVector(0), limit: 3 }, code: 'INVALID_REQUEST' },
  { name: 'unknown create field', url: '/collections', body: { name: 'x', dimension: 4, color: 'red' }, code: 'INVALID_REQUEST' },
  // Accepted by the schema for cluster nodes; an embedded server refuses it, naming cluster mode.
  { name: 'shards on an embedded server', url: '/collections', body: { name: 'x', dimension: 4, shards: 2 }, code: 'INVALID_OPTIONS' },
  { name: 'unknown hnsw field', url: '/collections', body: { name: 'x', dimension: 4, hnsw: { M: 4 } }, code: 'INVALID_REQUEST' },
  // Optional in the schema (a keyword-only collection's documents have none); this collection needs one.
  { name: 'missing vector', url: `${docs}/documents`, body: { documents: [{ id: 'new' }] }, code: 'INVALID_VECTOR' },
  { name: 'missing id', url: `${docs}/documents`, body: { documents: [{ vector: [1, 2, 3, 4] }] }, code: 'INVALID_REQUEST' },
  { name: 'delete with both ids and filter', url: `${docs}/documents/delete`, body: { ids: ['d0'], filter: { group: 0 } }, code: 'INVALID_REQUEST' },
  { name: 'delete with neither ids nor filter', url: `${docs}/documents/delete`, body: {}, code: 'INVALID_REQUEST' },

  // NaN-like values: JSON.parse turns 1e999 into Infinity.
  { name: '1e999 in a vector (upsert)', url: `${docs}/documents`, body: '{"documents":[{"id":"new","vector":[1,2,3,1e999]}]}', code: 'INVALID_REQUEST' },
  { name: '-1e999 in a vector (search)', url: `${docs}/search`, body: '{"vector":[1,2,3,-1e999]}', code: 'INVALID_REQUEST' },
  { name: '1e999 as k', url: `${docs}/search`, body: '{"vector":[1,2,3,4],"k":1e999}', code: 'INVALID_REQUEST' },
  { name: '1e999 in metadata', url: `${docs}/documents`, body: '{"documents":[{"id":"d0","vector":[1,2,3,4],"metadata":{"x":1e999}}]}', code: 'INVALID_DOCUMENT' },
  { name: 'NaN literal', url: `${docs}/documents`, body: '{"documents":[{"id":"new","vector":[1,2,3,NaN]}]}', code: 'INVALID_REQUEST' },
  { name: 'a value that overflows float32', url: `${docs}/documents`, body: { documents: [{ id: 'd0', vector: [1, 2, 3, 1e39] }] }, code: 'INVALID_VECTOR' },
  { name: 'a zero vector in a cosine collection', url: `${docs}/documents`, body: { documents: [{ id: 'd0', vector: [0, 0, 0, 0] }] }, code: 'INVALID_VECTOR' },
  { name: 'NaN as base64 float32', url: `${docs}/documents`, body: { documents: [{ id: 'd0', vector: base64([1, Number.NaN, 3, 4]) }] }, code: 'INVALID_VECTOR' },

  // Wrong dimension.
  { name: 'short vector (upsert)', url: `${docs}/documents`, body: { documents: [{ id: 'd0', vector: [1, 2, 3] }] }, code: 'DIMENSION_MISMATCH' },
  { name: 'long vector (upsert)', url: `${docs}/documents`, body: { documents: [{ id: 'd0', vector: [1, 2, 3, 4, 5] }] }, code: 'DIMENSION_MISMATCH' },
  { name: 'short vector (search)', url: `${docs}/search`, body: { vector: [1, 2, 3] }, code: 'DIMENSION_MISMATCH' },
  { name: 'wrong dimension in one search of a batch', url: `${docs}/search/batch`, body: { searches: [{ vector: seedVector(0) }, { vector: [1] }] }, code: 'DIMENSION_MISMATCH' },

  // All or nothing: the bad document is last, the good ones come first.
  {
    name: 'a batch whose last document is bad',
    url: `${docs}/documents`,
    body: { documents: [good, { id: 'd0', vector: [9, 9, 9, 9], text: 'changed' }, { id: 'bad', vector: [1, 2] }] },
    code: 'DIMENSION_MISMATCH',
  },
  { name: 'duplicate ids in a batch', url: `${docs}/documents`, body: { documents: [good, { ...good, vector: [4, 3, 2, 1] }] }, code: 'DUPLICATE_ID' },
  { name: 'an id over 512 bytes', url: `${docs}/documents`, body: { documents: [good, { id: 'é'.repeat(257), vector: [1, 2, 3, 4] }] }, code: 'INVALID_ID' },
  // JSON's \ud800 escape is a lone surrogate: no UTF-8 form, so the store would keep U+FFFD instead.
  { name: 'an id with a lone surrogate', url: `${docs}/documents`, body: '{"documents":[{"id":"a\\ud800","vector":[1,2,3,4]}]}', code: 'INVALID_ID' },
  { name: 'a delete of an id with a lone surrogate', url: `${docs}/documents/delete`, body: '{"ids":["\\udc00"]}', code: 'INVALID_ID' },
  { name: 'metadata nested too deep', url: `${docs}/documents`, body: `{"documents":[{"id":"d0","vector":[1,2,3,4],"metadata":${deep(40, '{"a":1}')}}]}`, code: 'INVALID_DOCUMENT' },

  // Oversized bodies.
  { name: 'a body over the limit (upsert)', url: `${docs}/documents`, body: { documents: [{ ...good, text: 'x'.repeat(BODY_LIMIT) }] }, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'a body over the limit (delete)', url: `${docs}/documents/delete`, body: { ids: Array.from({ length: 10_000 }, (_, i) => `d${i}`) }, code: 'PAYLOAD_TOO_LARGE' },
  { name: 'a body over the limit (create)', url: '/collections', body: `{"name":"x","dimension":4${' '.repeat(BODY_LIMIT)}}`, code: 'PAYLOAD_TOO_LARGE' },

  // Unknown collections.
  { name: 'upsert into an unknown collection', url: '/collections/nope/documents', body: { documents: [good] }, code: 'COLLECTION_NOT_FOUND' },
  { name: 'delete from an unknown collection', url: '/collections/nope/documents/delete', body: { ids: ['d0'] }, code: 'COLLECTION_NOT_FOUND' },
  { name: 'drop an unknown collection', method: 'DELETE', url: '/collections/nope', code: 'COLLECTION_NOT_FOUND' },
  { name: 'search an unknown collection', url: '/collections/nope/search', body: { vector: seedVector(0) }, code: 'COLLECTION_NOT_FOUND' },
  { name: 'an invalid collection name', url: '/collections/-bad/documents', body: { documents: [good] }, code: 'INVALID_REQUEST' },
  { name: 'create an existing collection', url: '/collections', body: { name: COLLECTION, dimension: 8 }, code: 'COLLECTION_EXISTS' },

  // Invalid filters.
  { name: 'unknown operator (delete by filter)', url: `${docs}/documents/delete`, body: { filter: { group: { $like: 0 } } }, code: 'INVALID_FILTER' },
  { name: 'wrong operand type (delete by filter)', url: `${docs}/documents/delete`, body: { filter: { group: { $in: 0 } } }, code: 'INVALID_FILTER' },
  { name: 'bad $or (delete by filter)', url: `${docs}/documents/delete`, body: { filter: { $or: { group: 0 } } }, code: 'INVALID_FILTER' },
  { name: 'filter nested too deep (delete)', url: `${docs}/documents/delete`, body: `{"filter":${deep(40, '{"group":0}')}}`, code: 'INVALID_FILTER' },
  { name: 'filter nested thousands deep (search)', url: `${docs}/search`, body: `{"vector":[1,2,3,4],"filter":${deep(5000, '{"group":0}')}}`, code: 'INVALID_FILTER' },
  { name: 'invalid filter (search)', url: `${docs}/search`, body: { vector: seedVector(0), filter: { price: { $gt: [1] } } }, code: 'INVALID_FILTER' },
  { name: 'invalid filter (count)', url: `${docs}/count`, body: { filter: { $nor: [] } }, code: 'INVALID_FILTER' },
  { name: 'invalid filter (list)', url: `${docs}/documents/list`, body: { filter: { $not: 1 } }, code: 'INVALID_FILTER' },

  // Base64 vectors of the wrong length.
  { name: 'base64 of 15 bytes (upsert)', url: `${docs}/documents`, body: { documents: [{ id: 'd0', vector: Buffer.alloc(15, 1).toString('base64') }] }, code: 'INVALID_VECTOR' },
  { name: 'base64 of 3 floats (upsert)', url: `${docs}/documents`, body: { documents: [{ id: 'd0', vector: base64([1, 2, 3]) }] }, code: 'DIMENSION_MISMATCH' },
  { name: 'base64 of 5 floats (search)', url: `${docs}/search`, body: { vector: base64([1, 2, 3, 4, 5]) }, code: 'DIMENSION_MISMATCH' },
  { name: 'base64 of 17 bytes (search)', url: `${docs}/search`, body: { vector: Buffer.alloc(17, 1).toString('base64') }, code: 'INVALID_VECTOR' },
  { name: 'base64 with invalid characters', url: `${docs}/search`, body: { vector: 'AAAA!AAA' }, code: 'INVALID_REQUEST' },
  { name: 'base64 too short to be a vector', url: `${docs}/search`, body: { vector: 'AA' }, code: 'INVALID_REQUEST' },

  // Keyword and hybrid search.
  { name: 'a search with neither vector nor text', url: `${docs}/search`, body: { k: 3 }, code: 'INVALID_REQUEST' },
  { name: 'an empty text query', url: `${docs}/search`, body: { text: '' }, code: 'INVALID_REQUEST' },
  { name: 'text as a number', url: `${docs}/search`, body: { text: 5 }, code: 'INVALID_REQUEST' },
  { name: 'alpha above 1', url: `${docs}/search`, body: { text: 'a', vector: seedVector(0), alpha: 1.5 }, code: 'INVALID_REQUEST' },
  { name: 'an unknown fusion', url: `${docs}/search`, body: { text: 'a', vector: seedVector(0), fusion: 'max' }, code: 'INVALID_REQUEST' },
  { name: 'an unknown text language', url: '/collections', body: { name: 'x', dimension: 4, text: { language: 'xx' } }, code: 'INVALID_REQUEST' },
  { name: 'bm25 b above 1', url: '/collections', body: { name: 'x', dimension: 4, bm25: { b: 2 } }, code: 'INVALID_REQUEST' },

  // Empty batches.
  { name: 'no documents', url: `${docs}/documents`, body: { documents: [] }, code: 'INVALID_REQUEST' },
  { name: 'no ids (delete)', url: `${docs}/documents/delete`, body: { ids: [] }, code: 'INVALID_REQUEST' },
  { name: 'no ids (get)', url: `${docs}/documents/get`, body: { ids: [] }, code: 'INVALID_REQUEST' },
  { name: 'no searches', url: `${docs}/search/batch`, body: { searches: [] }, code: 'INVALID_REQUEST' },
  { name: 'an empty vector', url: `${docs}/documents`, body: { documents: [{ id: 'd0', vector: [] }] }, code: 'INVALID_REQUEST' },
  { name: 'an empty id', url: `${docs}/documents`, body: { documents: [{ id: '', vector: [1, 2, 3, 4] }] }, code: 'INVALID_REQUEST' },
];

describe('bad input gets a 4xx with its code and changes nothing', () => {
  it('covers many cases', () => {
    expect(cases.length).toBeGreaterThan(60);
  });

  for (const c of cases) {
    it(`${c.name}: ${c.code}`, async () => {
      const reply = await send(t.app, c.method ?? 'POST', c.url, c.body, c.headers);
      const body = errorOf(reply);
      expect({ code: body.code, status: reply.statusCode }).toEqual({ code: c.code, status: STATUS[c.code] });
      expect(reply.statusCode).toBeGreaterThanOrEqual(400);
      expect(reply.statusCode).toBeLessThan(500);
      expect(await state()).toEqual(before);
    });
  }

  it('the data is still the seeded data', async () => {
    expect(before.count).toBe(SEED_COUNT);
    expect(before.version).toBe(1);
    expect(JSON.parse(before.d0)).toMatchObject({ id: 'd0', vector: seedVector(0) });
  });
});
