/**
 * `quiver backup` (a whole database into a new directory, or, with --url,
 * into the server's own backup directory) and `quiver restore` (a backup
 * copied into an empty data directory, then opened to show what it holds).
 * Neither ever writes over anything: both want an empty or missing target.
 */
import { MAX_TIMEOUT_MS, QuiverClient } from '../client/index.js';
import { openDatabase, restoreBackup, type BackupResult, type Database } from '../index.js';
import { CliError, DEFAULT_DATA, EXIT_OK, parseCommand, resolveTargetFlags, TARGET_OPTIONS, TARGET_USAGE } from './args.js';
import { formatBytes, formatCount, formatDuration, table } from './format.js';
import { openTarget, stderrLogger, type CliIo } from './target.js';

export const BACKUP_USAGE = `usage: quiver backup <dir> | quiver backup --url URL

Copies the whole database into <dir> (empty or missing) as one consistent state: every
collection, its documents and its snapshots. <dir> is then a data directory that
'quiver restore <dir> --data DIR' copies back. A local data directory is held by one
process at a time: while a server runs on it, back up through the server (--url), which
goes on serving reads and writes meanwhile.

With --url the server writes the backup into a new folder of its own backup directory
(quiver serve --backup-dir, or QUIVER_BACKUP_DIR) and names it here: a client never
chooses where a server writes.

${TARGET_USAGE}`;

export const RESTORE_USAGE = `usage: quiver restore <backup-dir> [--data DIR]

Copies a backup (from 'quiver backup', or a folder of a server's backup directory) into the
data directory DIR, which must be empty or missing, checks its store, then opens it and
lists its collections. The backup is left as it was. Then: quiver serve --data DIR.

  --data DIR          the data directory to restore into (default $QUIVER_DATA or ${DEFAULT_DATA})
  --json              machine-readable output on stdout`;

const RESTORE_OPTIONS = {
  data: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The `quiver backup` command. */
export async function runBackup(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, TARGET_OPTIONS, { min: 0, max: 1, names: '<dir>' });
  if (values.help) {
    io.stdout.write(`${BACKUP_USAGE}\n`);
    return EXIT_OK;
  }
  const flags = resolveTargetFlags(values, io.env);
  const dir = positionals[0];
  if (flags.url === undefined && dir === undefined) throw new CliError('name the directory to back up into: quiver backup <dir> (or --url URL to have a server back itself up)');
  if (flags.url !== undefined && dir !== undefined) {
    throw new CliError(`a server backs up only into its own backup directory (quiver serve --backup-dir), never one a client names: leave out '${dir}'`);
  }
  if (flags.url !== undefined) {
    // A backup takes as long as the database is large: no client timeout (the server finishes it even if this client goes away).
    const client = new QuiverClient({ url: flags.url, timeoutMs: MAX_TIMEOUT_MS, ...(flags.apiKey === undefined ? {} : { apiKey: flags.apiKey }) });
    try {
      const result = await client.backup();
      io.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${describe(`backed up ${client.url}`, result)}\n`);
      return EXIT_OK;
    } finally {
      await client.close();
    }
  }
  const { db, where } = await openTarget(flags, io, { create: false });
  try {
    const result = await (db as Database).backup(dir!);
    io.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${describe(`backed up ${where}`, result)}\n`);
    return EXIT_OK;
  } finally {
    await db.close();
  }
}

/** The `quiver restore` command. */
export async function runRestore(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, RESTORE_OPTIONS, { min: 1, max: 1, names: '<backup-dir>' });
  if (values.help) {
    io.stdout.write(`${RESTORE_USAGE}\n`);
    return EXIT_OK;
  }
  const data = values.data ?? (io.env.QUIVER_DATA || DEFAULT_DATA);
  const result = await restoreBackup(positionals[0]!, data);
  // Opened once here, so a restore that does not open is known now, not when a server starts on it.
  const db = await openDatabase({ path: data, logger: stderrLogger(io) });
  let collections;
  try {
    collections = db.listCollections();
  } finally {
    await db.close();
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ ...result, opened: collections })}\n`);
  } else {
    const states = collections.map((entry) => (entry.state === 'unavailable' ? `'${entry.name}' unavailable: ${entry.reason}` : entry.state === 'degraded' ? `'${entry.name}' degraded: ${entry.reason ?? ''}` : undefined));
    const problems = states.filter((line) => line !== undefined);
    io.stdout.write(`${describe(`restored ${positionals[0]} into ${data}`, result)}\n${problems.length > 0 ? `${problems.join('\n')}\n` : ''}`);
  }
  return EXIT_OK;
}

/** A summary line, then one row per collection. */
function describe(what: string, result: BackupResult & { name?: string }): string {
  const lines = [
    `${what}: ${formatCount(result.collections.length)} collection${result.collections.length === 1 ? '' : 's'}, ${formatBytes(result.bytes)} in ${formatDuration(result.seconds)}`,
    `  written to ${result.path}`,
  ];
  if (result.collections.length > 0) {
    const rows = table(result.collections, [
      { header: 'collection', value: (row) => row.name },
      { header: 'version', value: (row) => String(row.version), align: 'right' },
      { header: 'snapshot', value: (row) => (row.snapshot ? 'yes' : 'no (indexes rebuilt on open)') },
    ]);
    lines.push(rows.split('\n').map((line) => `  ${line}`).join('\n'));
  }
  return lines.join('\n');
}
