#!/usr/bin/env node
/**
 * Builds the web dashboard (dashboard/) into build/dashboard, which the
 * server serves at /dashboard/ (src/server/routes/dashboard.ts): one
 * minified bundle of the app and its libraries (Preact, uPlot) with its
 * stylesheet, the page, and a brotli and a gzip copy of each file, then
 * prints what a browser downloads.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'dashboard');
const out = join(root, 'build', 'dashboard');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const { metafile } = await build({
  entryPoints: { app: join(source, 'src', 'main.tsx') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  // The metrics view (and uPlot) is imported when first opened: a chunk of its own, not in the first download.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  target: ['chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
});
copyFileSync(join(source, 'index.html'), join(out, 'index.html'));

const rows = [];
for (const name of readdirSync(out, { recursive: true }).sort()) {
  const file = join(out, name);
  if (statSync(file).isDirectory()) continue;
  const content = readFileSync(file);
  const gzip = gzipSync(content, { level: 9 });
  const brotli = brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
  writeFileSync(`${file}.gz`, gzip);
  writeFileSync(`${file}.br`, brotli);
  rows.push({ name, bytes: statSync(file).size, gzip: gzip.length, brotli: brotli.length });
}
// What the first load asks for: the page, the stylesheet, the script and what it imports statically (not the lazy views).
const entry = metafile.outputs['build/dashboard/app.js'];
const firstLoad = new Set(['index.html', 'app.css', 'app.js', ...entry.imports.filter((i) => i.kind === 'import-statement').map((i) => i.path.replace('build/dashboard/', ''))]);
const first = rows.filter((row) => firstLoad.has(row.name));
const sum = (key, of = rows) => of.reduce((total, row) => total + row[key], 0);
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
for (const row of rows) console.log(`dashboard: ${row.name.padEnd(18)} ${kib(row.bytes).padStart(10)}  gzip ${kib(row.gzip).padStart(9)}  brotli ${kib(row.brotli).padStart(9)}`);
console.log(`dashboard: the first load downloads ${kib(sum('bytes', first))}, ${kib(sum('gzip', first))} gzipped, ${kib(sum('brotli', first))} with brotli; every view ${kib(sum('bytes'))}, ${kib(sum('gzip'))}, ${kib(sum('brotli'))} -> ${out}`);
