/**
 * CSV (or TSV) with a header row, streamed through csv-parse. The vector
 * column holds a JSON array ("[0.1, 0.2]") or numbers separated by spaces,
 * commas or semicolons ("0.1 0.2"). Other columns become metadata: a cell
 * written as a JSON number becomes a number ("02134" stays a string),
 * empty cells are left out. A row csv-parse cannot read (wrong number of
 * columns, a stray quote) is rejected with its line and the reader goes on.
 */
import { parse, type CsvError } from 'csv-parse';
import { recordToItem, SourceError, type SourceItem, type VectorParse } from './fields.js';
import { openText, type TextReadOptions } from './jsonl.js';

export interface CsvReadOptions extends TextReadOptions {
  delimiter: string;
}

/** JSON's number grammar: what a cell must look like to become a number. */
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

export async function* readCsv(path: string, options: CsvReadOptions): AsyncGenerator<SourceItem> {
  const { fields } = options;
  const { input, position, close } = openText(path);
  let header: string[] | undefined;
  // csv-parse reports skipped rows through a callback while it parses ahead of
  // the consumer; they are queued and yielded in line order among the records.
  const problems: { line: number; problem: string }[] = [];
  const parser = parse({
    columns: (names: string[]) => {
      header = names;
      return names;
    },
    info: true,
    bom: true,
    delimiter: options.delimiter,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined) => {
      if (error === undefined) return;
      const line = Number((error as CsvError & { lines?: number }).lines ?? 0);
      // One bad row can raise several errors (one per stray quote); report the row once.
      if (problems.at(-1)?.line === line) return;
      problems.push({ line, problem: error.message.replace(/ (on|at) line \d+/, '') });
    },
  });
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);

  const rejections = function* (upTo: number): Generator<SourceItem> {
    while (problems.length > 0 && problems[0]!.line <= upTo) {
      const { line, problem } = problems.shift()!;
      yield { kind: 'rejected', at: { line }, problem };
    }
  };

  try {
    let checked = false;
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; bytes: number } }>) {
      if (!checked) {
        checkHeader(header ?? [], options);
        checked = true;
      }
      const line = info.lines;
      yield* rejections(line);
      options.progress(position(info.bytes));
      yield recordToItem(record, line, {
        fields,
        rowId: options.rowIds ? String(line - 2) : undefined,
        parseVector: (value) => parseVectorCell(String(value)),
        metadataValue: castCell,
        keywordOnly: options.keywordOnly,
      });
    }
    yield* rejections(Infinity);
  } finally {
    parser.destroy();
    close();
  }
}

/** A header without the needed columns fails the whole file (no location: no line of it can be read). */
function checkHeader(header: readonly string[], { fields, rowIds, keywordOnly }: CsvReadOptions): void {
  const columns = header.map((name) => `'${name}'`).join(', ');
  if (!keywordOnly && !header.includes(fields.vector)) {
    throw new SourceError(`no vector column '${fields.vector}' in the header (columns: ${columns}); name it with --vector-field, or import text and metadata only with --keyword-only`);
  }
  if (!rowIds && !header.includes(fields.id)) {
    throw new SourceError(`no id column '${fields.id}' in the header (columns: ${columns}); name it with --id-field, or number rows with --row-ids`);
  }
}

/** "[0.1, 0.2]", "0.1 0.2", "0.1,0.2" or "0.1;0.2" as numbers; elements are checked for finiteness later. */
export function parseVectorCell(cell: string): VectorParse {
  const text = cell.trim();
  if (text.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { problem: `not a JSON array: ${(error as Error).message}` };
    }
    return Array.isArray(value) ? { vector: value } : { problem: 'not a JSON array' };
  }
  const parts = text.split(/[\s,;]+/).filter((part) => part !== '');
  const vector = new Array<number>(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const x = Number(parts[i]);
    if (Number.isNaN(x) && parts[i] !== 'NaN') return { problem: `element ${i} is '${parts[i]}', expected a number` };
    vector[i] = x;
  }
  return { vector };
}

function castCell(value: unknown): unknown {
  if (value === '' || value === undefined) return undefined;
  return typeof value === 'string' && JSON_NUMBER.test(value) ? Number(value) : value;
}
