/**
 * The data commands (import, search, collections, stats, delete, drop,
 * export, backup, restore): dispatch and the one place that turns errors
 * into messages and exit statuses. Returns the status instead of exiting,
 * so tests run commands in-process.
 */
import { isQuiverError } from '../core/errors.js';
import { CliError, EXIT_FAILED, EXIT_USAGE, UsageError } from './args.js';
import { COLLECTIONS_USAGE, runCollections, runStats, STATS_USAGE } from './collections.js';
import { BACKUP_USAGE, RESTORE_USAGE, runBackup, runRestore } from './backup.js';
import { DELETE_USAGE, DROP_USAGE, runDelete, runDrop } from './delete.js';
import { EXPORT_USAGE, runExport } from './export.js';
import { IMPORT_USAGE, runImport } from './import.js';
import { runSearch, SEARCH_USAGE } from './search.js';
import type { CliIo } from './target.js';

const COMMANDS = {
  import: { run: runImport, usage: IMPORT_USAGE },
  search: { run: runSearch, usage: SEARCH_USAGE },
  collections: { run: runCollections, usage: COLLECTIONS_USAGE },
  stats: { run: runStats, usage: STATS_USAGE },
  delete: { run: runDelete, usage: DELETE_USAGE },
  drop: { run: runDrop, usage: DROP_USAGE },
  export: { run: runExport, usage: EXPORT_USAGE },
  backup: { run: runBackup, usage: BACKUP_USAGE },
  restore: { run: runRestore, usage: RESTORE_USAGE },
} as const;

export type DataCommand = keyof typeof COMMANDS;

export function isDataCommand(command: string | undefined): command is DataCommand {
  return command !== undefined && Object.hasOwn(COMMANDS, command);
}

/** The first line of each command's usage, for the general help. */
export function synopses(): string {
  return Object.values(COMMANDS)
    .map(({ usage }) => usage.split('\n')[0]!.replace(/^usage: /, '       '))
    .join('\n');
}

export async function runDataCommand(command: DataCommand, argv: readonly string[], io: CliIo): Promise<number> {
  const { run, usage } = COMMANDS[command];
  try {
    return await run(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`quiver ${command}: ${error.message}\n${usage.split('\n')[0]}\n(quiver ${command} --help lists every option)\n`);
      return EXIT_USAGE;
    }
    if (error instanceof CliError) {
      io.stderr.write(`quiver ${command}: ${error.message}\n`);
      return EXIT_FAILED;
    }
    const code = (error as { code?: unknown } | null)?.code;
    if (isQuiverError(error) || typeof code === 'string') {
      const message = (error as Error).message;
      // Node's fs errors already start with their code ("ENOENT: no such file...").
      const prefix = typeof code === 'string' && !message.startsWith(code) ? `${code}: ` : '';
      io.stderr.write(`quiver ${command}: ${prefix}${message}\n`);
      return EXIT_FAILED;
    }
    io.stderr.write(`quiver ${command}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_FAILED;
  }
}
