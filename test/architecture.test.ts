/**
 * The layout's rules, checked on the source (docs/DESIGN.md, "Layers"):
 * the engine never imports the server, the CLI, the client or the file
 * readers; the server never touches WebAssembly or hnswlib (nor the
 * engine's internals that do); one module loads WebAssembly and one uses
 * hnswlib-node; the client takes from the engine only its error table and
 * its public types; no import cycle anywhere in src/; and a file over 600
 * lines says at its top why it is long.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') || entry.name.endsWith('.tsx') ? [path] : [];
  });
}

interface Import {
  /** The specifier as written. */
  specifier: string;
  /** The imported file relative to the repository (for a relative specifier), else the package name. */
  target: string;
  /** `import type` / `export type`: erased at run time. */
  typeOnly: boolean;
}

const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[3] ?? match[4]!;
    const typeOnly = match[2] !== undefined;
    const target = specifier.startsWith('.')
      ? relative(ROOT, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts')
      : specifier.startsWith('node:') ? specifier : specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
    found.push({ specifier, target, typeOnly });
  }
  return found;
}

/** The code without its comments and string contents: what runs, not what is said of it. */
function code(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
    .replace(/'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`/g, "''");
}

/** Code that reaches the runtime's WebAssembly, or reads the kernels' file. */
function usesWasm(text: string): boolean {
  return /\bWebAssembly\b/.test(code(text)) || /kernels\.wasm/.test(text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, ''));
}

const files = sourceFiles(SRC).map((file) => ({ path: relative(ROOT, file), imports: importsOf(file), lines: readFileSync(file, 'utf8').split('\n').length, text: readFileSync(file, 'utf8') }));
const under = (prefix: string) => files.filter((file) => file.path.startsWith(prefix));

describe('the layout', () => {
  it('reads every source file and its imports', () => {
    expect(files.length).toBeGreaterThan(80);
    expect(files.find((file) => file.path === 'src/core/collection/collection.ts')!.imports.some((i) => i.target === 'src/core/collection/state.ts')).toBe(true);
  });

  it('the engine (src/core) never imports cluster mode, the server, the CLI, the client or the file readers', () => {
    const wrong = under('src/core/').flatMap((file) =>
      file.imports.filter((i) => /^src\/(cluster|server|cli|client|io)\//.test(i.target) || /^src\/[^/]+\.ts$/.test(i.target)).map((i) => `${file.path} -> ${i.target}`));
    expect(wrong).toEqual([]);
  });

  it('the server never touches WebAssembly or hnswlib, nor the engine modules that do', () => {
    const forbidden = /^(hnswlib-node|src\/core\/vector\/|src\/core\/graph\/)/;
    const wrong = under('src/server/').flatMap((file) => [
      ...file.imports.filter((i) => forbidden.test(i.target) && !i.target.endsWith('float32-base64.ts')).map((i) => `${file.path} -> ${i.target}`),
      ...(usesWasm(file.text) ? [`${file.path} uses WebAssembly`] : []),
    ]);
    expect(wrong).toEqual([]);
  });

  it('cluster mode stands on the engine alone: it never imports the server, the CLI, the client or the file readers', () => {
    const wrong = under('src/cluster/').flatMap((file) =>
      file.imports.filter((i) => /^src\/(server|cli|client|io)\//.test(i.target)).map((i) => `${file.path} -> ${i.target}`));
    expect(wrong).toEqual([]);
  });

  it('framework adapters (src/adapters) and the semantic cache take collections by their portable type: at run time they import the error table alone of the engine, and only adapters import a framework', () => {
    const allowed = (target: string) => target === 'src/core/errors.ts' || target.startsWith('src/adapters/') || target.startsWith('src/semantic-cache/');
    const wrong = [...under('src/adapters/'), ...under('src/semantic-cache/')].flatMap((file) =>
      file.imports.filter((i) => i.target.startsWith('src/') && !i.typeOnly && !allowed(i.target)).map((i) => `${file.path} -> ${i.target}`));
    expect(wrong).toEqual([]);
    const frameworks = files.filter((file) => file.imports.some((i) => /^(@langchain|llamaindex|@llamaindex)\b/.test(i.target))).map((file) => file.path);
    expect(frameworks.every((path) => path.startsWith('src/adapters/'))).toBe(true);
    expect(frameworks).toContain('src/adapters/langchain.ts');
    expect(frameworks).toContain('src/adapters/llamaindex.ts');
  });

  it('one module loads the PostgreSQL driver, and only when cluster mode is configured (a dynamic import)', () => {
    const loaders = files.filter((file) => /import\(\s*'postgres'\s*\)/.test(file.text)).map((file) => file.path);
    expect(loaders).toEqual(['src/cluster/pg-store.ts']);
    const statically = files.filter((file) => /(?:^|\n)\s*(import|export)\s+(?!type\s)[^;]*?from\s+'postgres'/.test(file.text)).map((file) => file.path);
    expect(statically).toEqual([]);
  });

  it('one module uses hnswlib-node and one loads WebAssembly', () => {
    expect(files.filter((file) => file.imports.some((i) => i.target === 'hnswlib-node')).map((file) => file.path)).toEqual(['src/core/graph/hnsw-index.ts']);
    expect(files.filter((file) => usesWasm(file.text)).map((file) => file.path)).toEqual(['src/core/vector/wasm-heap.ts']);
  });

  it('the client takes from the engine only its errors, its public types and its limits at run time', () => {
    const allowedAtRunTime = new Set(['src/core/errors.ts', 'src/core/options.ts', 'src/core/validate.ts', 'src/core/vector/float32-base64.ts']);
    const wrong = under('src/client/').flatMap((file) =>
      file.imports.filter((i) => i.target.startsWith('src/') && !i.target.startsWith('src/client/') && !i.typeOnly && !allowedAtRunTime.has(i.target)).map((i) => `${file.path} -> ${i.target}`));
    expect(wrong).toEqual([]);
  });

  it('the dashboard (dashboard/src) is browser code over the REST API: it imports its own files, its stylesheets and its UI and chart libraries alone, and nothing in src/ imports it', () => {
    const dashboard = sourceFiles(join(ROOT, 'dashboard', 'src')).map((file) => ({ path: relative(ROOT, file), imports: importsOf(file) }));
    expect(dashboard.length).toBeGreaterThan(5);
    const libraries = new Set(['preact', 'uplot']);
    const wrong = dashboard.flatMap((file) =>
      file.imports
        .filter((i) => !(i.target.startsWith('dashboard/') || libraries.has(i.target)))
        .map((i) => `${file.path} -> ${i.specifier}`),
    );
    expect(wrong).toEqual([]);
    expect(files.flatMap((file) => file.imports.filter((i) => i.target.startsWith('dashboard/')).map((i) => `${file.path} -> ${i.specifier}`))).toEqual([]);
  });

  it('has no import cycle in src/', () => {
    const graph = new Map(files.map((file) => [file.path, file.imports.map((i) => i.target).filter((target) => target.startsWith('src/'))]));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (node: string) => {
      state.set(node, 'open');
      stack.push(node);
      for (const next of graph.get(node) ?? []) {
        if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].join(' -> '));
        else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(node, 'done');
    };
    for (const node of graph.keys()) if (!state.has(node)) visit(node);
    expect(cycles).toEqual([]);
  });

  it('a file over 600 lines says at its top why it is long', () => {
    const long = files.filter((file) => file.lines > 600);
    const unexplained = long.filter((file) => !/\bover 600 lines\b|\blong because\b/i.test(file.text.split('\n').slice(0, 40).join('\n')));
    expect(unexplained.map((file) => `${file.path} (${file.lines} lines)`)).toEqual([]);
  });
});
