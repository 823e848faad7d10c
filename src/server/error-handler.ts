/**
 * The one map from error code to HTTP status, and the one error handler:
 * every error reply has the body `{ statusCode, code, error, message }`.
 * `Record<ErrorCode, number>` makes the compiler demand a status for each
 * new code. Unknown errors are 500s, logged as errors, with no internals
 * in the reply.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createError, isQuiverError, type ErrorCode, type QuiverError } from '../core/errors.js';

export const STATUS: Record<ErrorCode, number> = {
  INVALID_OPTIONS: 400,
  INVALID_ARGUMENT: 400,
  INVALID_COLLECTION_NAME: 400,
  COLLECTION_NOT_FOUND: 404,
  COLLECTION_EXISTS: 409,
  ALIAS_NOT_FOUND: 404,
  ALIAS_EXISTS: 409,
  DIMENSION_MISMATCH: 400,
  INVALID_VECTOR: 400,
  INVALID_ID: 400,
  DUPLICATE_ID: 400,
  INVALID_DOCUMENT: 400,
  INVALID_FILTER: 400,
  DATABASE_CLOSED: 503,
  DATABASE_LOCKED: 503,
  COLLECTION_UNAVAILABLE: 503,
  DATA_DAMAGED: 500,
  KERNEL_ABORT: 500,
  OUT_OF_MEMORY: 507,
  LIMIT_EXCEEDED: 400,
  REQUEST_ABORTED: 499,
  INDEX_UNAVAILABLE: 503,
  EMBEDDING_FAILED: 502,
  EMBEDDER_MISMATCH: 400,
  EMBEDDER_UNAVAILABLE: 503,
  CLUSTER_UNAVAILABLE: 503,
  INVALID_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  SERVER_BUSY: 503,
  ROUTE_NOT_FOUND: 404,
  NOT_CONFIGURED: 501,
  DOCUMENT_NOT_FOUND: 404,
  INTERNAL_ERROR: 500,
};

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function retryAfterOf(error: unknown): number {
  return (error as { retryAfterSeconds?: number }).retryAfterSeconds ?? 1;
}

export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  error: string;
  message: string;
}

export function errorBody(error: QuiverError): ErrorBody {
  const statusCode = STATUS[error.code];
  return { statusCode, code: error.code, error: REASONS[statusCode] ?? 'Error', message: error.message };
}

/** Turns anything thrown into a QuiverError: Fastify's own client errors keep their meaning. */
export function toQuiverError(error: unknown, bodyLimit: number): QuiverError | undefined {
  if (isQuiverError(error)) return error;
  const fastifyError = error as Partial<FastifyError> & { validation?: unknown; validationContext?: string };
  if (Array.isArray(fastifyError.validation)) {
    const details = (fastifyError.validation as ValidationIssue[]).map((issue) => {
      const where = `${fastifyError.validationContext ?? 'body'}${issue.instancePath ?? ''}`;
      const extra = issue.params?.additionalProperty === undefined ? '' : ` '${String(issue.params.additionalProperty)}'`;
      return `${where} ${issue.message ?? 'is invalid'}${extra}`;
    });
    return createError('INVALID_REQUEST', details.join('; '));
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return createError('PAYLOAD_TOO_LARGE', bodyLimit);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return createError('INVALID_REQUEST', fastifyError.message ?? 'unreadable body');
    default:
      if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
        return createError('INVALID_REQUEST', fastifyError.message ?? 'bad request');
      }
      return undefined;
  }
}

/** Replies to anything thrown with its status and the standard body. */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply, bodyLimit: number): FastifyReply {
  const known = toQuiverError(error, bodyLimit);
  if (!known) request.log.error({ err: error }, 'unhandled error');
  const body = errorBody(known ?? createError('INTERNAL_ERROR'));
  if (body.code === 'RATE_LIMITED' || body.code === 'SERVER_BUSY') void reply.header('retry-after', String(retryAfterOf(error)));
  return reply.status(body.statusCode).send(body);
}

export function registerErrorHandler(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => sendError(error, request, reply, bodyLimit));
  app.setNotFoundHandler((request, reply) => {
    const body = errorBody(createError('ROUTE_NOT_FOUND', request.method, request.url.split('?')[0]!));
    return reply.status(404).send(body);
  });
}
