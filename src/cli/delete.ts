/**
 * `quiver delete <collection>` (documents by id or by filter) and `quiver
 * drop <collection>` (the whole collection). Both refuse what a slip of
 * the keyboard would make irreversible: a filter without conditions needs
 * --all, and drop needs --yes.
 */
import { Checks, CliError, EXIT_OK, parseCommand, resolveTargetFlags, TARGET_OPTIONS, TARGET_USAGE } from './args.js';
import { openTarget, type CliIo } from './target.js';

export const DELETE_USAGE = `usage: quiver delete <collection> (--id ID [--id ID ...] | --filter JSON [--all])

Deletes documents in one write: by id (ids that do not exist are skipped), or every
document matching a metadata filter. A filter without conditions ('{}') matches every
document and is refused unless --all is given.

  --id ID             a document id (repeat for several)
  --filter JSON       metadata filter, e.g. '{"source": "old-crawl"}'
  --all               with --filter '{}': delete every document

${TARGET_USAGE}`;

export const DROP_USAGE = `usage: quiver drop <collection> --yes

Drops a collection: its documents, indexes and snapshots. Cannot be undone, so it
asks for --yes.

  --yes               drop it

${TARGET_USAGE}`;

const DELETE_OPTIONS = {
  ...TARGET_OPTIONS,
  id: { type: 'string', multiple: true },
  filter: { type: 'string' },
  all: { type: 'boolean' },
} as const;

const DROP_OPTIONS = { ...TARGET_OPTIONS, yes: { type: 'boolean' } } as const;

/** The `quiver delete` command. */
export async function runDelete(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, DELETE_OPTIONS, { min: 1, max: 1, names: '<collection>' });
  if (values.help) {
    io.stdout.write(`${DELETE_USAGE}\n`);
    return EXIT_OK;
  }
  const checks = new Checks();
  const ids = values.id ?? [];
  checks.require((ids.length > 0) !== (values.filter !== undefined), 'give --id or --filter (one of them)');
  checks.require(values.all === undefined || values.filter !== undefined, '--all goes with --filter');
  const filter = checks.json(values.filter, 'filter', 'object') as Record<string, unknown> | undefined;
  checks.done();
  const { db } = await openTarget(resolveTargetFlags(values, io.env), io, { create: false });
  try {
    const collection = db.collection(positionals[0]!);
    const result = filter === undefined ? await collection.delete(ids) : await collection.deleteWhere(filter, { all: values.all === true });
    io.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `deleted ${result.deleted} document${result.deleted === 1 ? '' : 's'} (version ${result.version})\n`);
    return EXIT_OK;
  } finally {
    await db.close();
  }
}

/** The `quiver drop` command. */
export async function runDrop(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, DROP_OPTIONS, { min: 1, max: 1, names: '<collection>' });
  if (values.help) {
    io.stdout.write(`${DROP_USAGE}\n`);
    return EXIT_OK;
  }
  const name = positionals[0]!;
  const { db } = await openTarget(resolveTargetFlags(values, io.env), io, { create: false });
  try {
    // Looked up first, so a missing collection says so whether or not --yes was given.
    const status = (await db.listCollections()).find((entry) => entry.name === name);
    if (status === undefined) db.collection(name);
    const documents = status?.state === 'ready' ? `${status.count} documents` : 'its documents';
    if (values.yes !== true) throw new CliError(`dropping '${name}' deletes ${documents} for good: pass --yes to drop it`);
    await db.dropCollection(name);
    io.stdout.write(values.json ? `${JSON.stringify({ dropped: name })}\n` : `dropped collection '${name}'\n`);
    return EXIT_OK;
  } finally {
    await db.close();
  }
}
