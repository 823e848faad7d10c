import type { FastifyInstance } from 'fastify';
import type { Document, DocumentUpdate, FieldChange, ListRequest, SearchField } from '../../core/api.js';
import { createError } from '../../core/errors.js';
import type { AppContext } from '../context.js';
import {
  collectionParams,
  countBody,
  countResult,
  deleteBody,
  documentOut,
  documentParams,
  errorReply,
  fieldChange,
  getBody,
  getResult,
  listBody,
  listResult,
  updateBody,
  updateResult,
  upsertBody,
  writeResult,
  type CollectionParams,
  type CountBody,
  type DeleteBody,
  type DocumentParams,
  type FieldChangeBody,
  type GetBody,
  type ListBody,
  type UpdateBody,
  type UpsertBody,
} from '../schemas.js';
import { decodeVector } from '../vectors.js';
import { jsonArray } from '../json-slices.js';
import { requestSignal } from '../request-signal.js';

/** Replies written here as JSON text carry the charset, as Fastify's own do. */
const JSON_TYPE = 'application/json; charset=utf-8';

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 413: errorReply, 503: errorReply };

/** Documents as JSON: vectors become arrays. */
export function documentJson(document: Document): Record<string, unknown> {
  return document.vector === undefined ? { ...document } : { ...document, vector: Array.from(document.vector) };
}

export function documentRoutes(app: FastifyInstance, { db }: AppContext): void {
  app.post<{ Params: CollectionParams; Body: UpsertBody }>(
    '/collections/:name/documents',
    {
      schema: {
        tags: ['documents'],
        summary: 'Insert or replace documents (one transaction: all or nothing). Vectors as arrays or base64 float32.',
        params: collectionParams,
        body: upsertBody,
        response: { 200: writeResult, ...errors },
      },
    },
    async (request) => {
      const collection = db.collection(request.params.name);
      // A document without a vector is for a keyword-only collection; the collection says whether it takes it.
      const documents = request.body.documents.map((document, i) =>
        document.vector === undefined ? document : { ...document, vector: decodeVector(document.vector, `documents[${i}].vector`) });
      return collection.upsert(documents as Parameters<typeof collection.upsert>[0]);
    },
  );

  app.get<{ Params: DocumentParams }>(
    '/collections/:name/documents/:id',
    {
      config: { readOnly: true },
      schema: { tags: ['documents'], summary: 'One document by id.', params: documentParams, response: { 200: documentOut, ...errors } },
    },
    async (request) => {
      const { name, id } = request.params;
      const document = await db.collection(name).get(id);
      if (!document) throw createError('DOCUMENT_NOT_FOUND', name, id);
      return documentJson(document);
    },
  );

  app.post<{ Params: CollectionParams; Body: GetBody }>(
    '/collections/:name/documents/get',
    {
      config: { readOnly: true },
      schema: { tags: ['documents'], summary: 'Documents by ids; ids that do not exist are listed as missing.', params: collectionParams, body: getBody, response: { 200: getResult, ...errors } },
    },
    async (request, reply) => {
      const { ids, include, consistency, minVersion } = request.body;
      const signal = requestSignal(request, reply);
      const found = await db.collection(request.params.name).getMany(ids, { include: include as SearchField[] | undefined, signal }, { consistency, minVersion });
      const documents: Document[] = [];
      const missing: string[] = [];
      found.forEach((document, i) => (document ? documents.push(document) : missing.push(ids[i]!)));
      const json = `{"documents":${await jsonArray(documents, documentJson, signal)},"missing":${JSON.stringify(missing)}}`;
      return reply.type(JSON_TYPE).send(json);
    },
  );

  app.post<{ Params: CollectionParams; Body: DeleteBody }>(
    '/collections/:name/documents/delete',
    {
      schema: { tags: ['documents'], summary: 'Delete documents by ids or by metadata filter (one transaction).', params: collectionParams, body: deleteBody, response: { 200: writeResult, ...errors } },
    },
    async (request) => {
      const collection = db.collection(request.params.name);
      const { ids, filter, all } = request.body;
      return ids ? collection.delete(ids) : collection.deleteWhere(filter as Record<string, unknown>, all === undefined ? {} : { all });
    },
  );

  app.delete<{ Params: DocumentParams }>(
    '/collections/:name/documents/:id',
    {
      schema: { tags: ['documents'], summary: 'Delete one document by id (deleted: 0 when it does not exist).', params: documentParams, response: { 200: writeResult, ...errors } },
    },
    async (request) => db.collection(request.params.name).delete([request.params.id]),
  );

  app.patch<{ Params: DocumentParams; Body: FieldChangeBody }>(
    '/collections/:name/documents/:id',
    {
      schema: {
        tags: ['documents'],
        summary: "Change one document's metadata or text, keeping its vector (404 DOCUMENT_NOT_FOUND when it does not exist).",
        params: documentParams,
        body: fieldChange,
        response: { 200: updateResult, ...errors },
      },
    },
    async (request) => db.collection(request.params.name).update([{ ...(request.body as FieldChange), id: request.params.id }]),
  );

  app.post<{ Params: CollectionParams; Body: UpdateBody }>(
    '/collections/:name/documents/update',
    {
      schema: {
        tags: ['documents'],
        summary: "Change documents' metadata or text by ids or by filter, keeping their vectors (one transaction: all or nothing).",
        params: collectionParams,
        body: updateBody,
        response: { 200: updateResult, ...errors },
      },
    },
    async (request) => {
      const collection = db.collection(request.params.name);
      const { updates, filter, change, all } = request.body;
      if (updates) return collection.update(updates as DocumentUpdate[]);
      return collection.updateWhere(filter as Record<string, unknown>, change as FieldChange, all === undefined ? {} : { all });
    },
  );

  app.post<{ Params: CollectionParams; Body: ListBody }>(
    '/collections/:name/documents/list',
    {
      config: { readOnly: true },
      schema: { tags: ['documents'], summary: 'Documents matching an optional filter, a page at a time.', params: collectionParams, body: listBody, response: { 200: listResult, ...errors } },
    },
    async (request, reply) => {
      const signal = requestSignal(request, reply);
      const page = await db.collection(request.params.name).list({ ...(request.body as ListRequest), signal });
      const documents = await jsonArray(page.documents, documentJson, signal);
      return reply.type(JSON_TYPE).send(`{"documents":${documents},"next":${JSON.stringify(page.next)}}`);
    },
  );

  app.post<{ Params: CollectionParams; Body: CountBody }>(
    '/collections/:name/count',
    {
      config: { readOnly: true },
      schema: { tags: ['documents'], summary: 'Number of documents matching an optional filter.', params: collectionParams, body: countBody, response: { 200: countResult, ...errors } },
    },
    async (request) => {
      const { filter, consistency, minVersion } = request.body;
      return { count: await db.collection(request.params.name).countWhere(filter, { consistency, minVersion }) };
    },
  );
}
