/**
 * POST /backup: the server backs its whole database up (Database.backup)
 * into a new folder of the directory its operator configured (`quiver serve
 * --backup-dir`, QUIVER_BACKUP_DIR), named here from the time and a random
 * suffix, and answers with that name. A client never chooses the path: a
 * key that may write documents must not be able to write files anywhere
 * the server can. Without a configured directory the route answers
 * NOT_CONFIGURED. It writes, so the read-only key is refused. One backup
 * runs at a time: each copies the whole database, so a second asked for
 * meanwhile is SERVER_BUSY (503, Retry-After) rather than another copy
 * competing for the disk. Its schemas live here, with the one route they
 * serve.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { JSONSchema } from 'json-schema-to-ts';
import { createError } from '../../core/errors.js';
import type { AppContext } from '../context.js';
import { errorReply } from '../schemas.js';

/** No options: an empty object, so options can be added without a new route. */
export const backupBody = {
  type: 'object',
  properties: {},
  additionalProperties: false,
} as const satisfies JSONSchema;

export const backupResult = {
  type: 'object',
  description: 'The backup written: its folder in the server\'s backup directory, each collection\'s version in it, the bytes and seconds it took.',
  properties: {
    name: { type: 'string', description: 'The folder in the backup directory (`quiver restore <backup-dir>/<name>` restores it).' },
    path: { type: 'string', description: 'The folder\'s full path on the server.' },
    collections: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          version: { type: 'integer', description: 'Every write up to this version is in the backup, none after.' },
          snapshot: { type: 'boolean', description: 'Whether its snapshot was copied (a restore then opens without rebuilding the indexes).' },
        },
        required: ['name', 'version', 'snapshot'],
        additionalProperties: false,
      },
    },
    bytes: { type: 'integer' },
    seconds: { type: 'number' },
  },
  required: ['name', 'path', 'collections', 'bytes', 'seconds'],
  additionalProperties: false,
} as const satisfies JSONSchema;

const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 501: errorReply, 503: errorReply };

/** Seconds a client asked to wait while another backup runs is told to wait. */
const BUSY_RETRY_SECONDS = 10;

/** A folder name that sorts by time and that two backups started in the same millisecond do not share. */
export function backupName(now: Date = new Date()): string {
  return `backup-${now.toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
}

export function backupRoutes(app: FastifyInstance, { db }: AppContext, backupDir: string | undefined): void {
  let running = false;
  app.post(
    '/backup',
    {
      schema: {
        tags: ['backup'],
        summary: 'Back the whole database up, online, into a new folder of the server\'s backup directory (QUIVER_BACKUP_DIR); reads and writes go on meanwhile.',
        body: backupBody,
        response: { 200: backupResult, ...errors },
      },
      // It takes no arguments: a POST without a body (or with an empty one) is the usual call.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async () => {
      if (backupDir === undefined) {
        throw createError('NOT_CONFIGURED', 'backup directory', 'its operator starts it with --backup-dir DIR (or QUIVER_BACKUP_DIR) to allow POST /backup');
      }
      if (running) throw Object.assign(createError('SERVER_BUSY', 'a backup is under way', BUSY_RETRY_SECONDS), { retryAfterSeconds: BUSY_RETRY_SECONDS });
      running = true;
      try {
        const name = backupName();
        const result = await db.backup(join(backupDir, name));
        return { name, ...result };
      } finally {
        running = false;
      }
    },
  );
}
