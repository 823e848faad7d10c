#!/usr/bin/env node
/**
 * What a newcomer does on a fresh clone (issue 24): install (`npm ci`, with
 * --install; CI's first step), run `npx quiver --help`, start the server with `npx quiver serve`, send every
 * command of the README's walkthrough (taken from the README itself, so the
 * two cannot drift apart), check each reply, and stop the server as an
 * operator would; then run the README's library example in a project of its
 * own that has this clone installed as `quiverdb` (as `npm install
 * <path to the clone>` does). Fails, naming the step, on any error.
 * `.ci/run` runs it.
 *
 *   node scripts/first-run.mjs [--install]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function step(name) {
  process.stdout.write(`first run: ${name}\n`);
}

function fail(message) {
  process.stderr.write(`first run failed: ${message}\n`);
  process.exit(1);
}

async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The JSON bodies of the walkthrough's curl commands, with their method and path, in order. */
function walkthrough() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Walkthrough'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) fail('README.md has no ```sh block under "### Walkthrough"');
  // Comments out, continuation lines joined; a command's quoted body may still span lines.
  const text = block.split('\n').filter((line) => !line.startsWith('#')).join('\n').replace(/\\\n\s*/g, ' ');
  const commands = text.split(/\n(?=curl )/).map((command) => command.trim()).filter((command) => command.startsWith('curl '));
  return commands.map((command) => {
    const url = /(http:\/\/127\.0\.0\.1:\d+\S*)/.exec(command)?.[1];
    const method = /-X (\w+)/.exec(command)?.[1] ?? 'GET';
    const body = /-d '([\s\S]*?)'(?:\s|$)/.exec(command)?.[1];
    if (!url) fail(`a walkthrough command has no URL: ${command}`);
    return { command, method, path: new URL(url).pathname, body };
  });
}

/** The README's library example: the first ```ts block under "## Use it as a library". */
function libraryExample() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it as a library'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) fail('README.md has no ```ts block under "## Use it as a library"');
  return block;
}

/** Runs the library example as a user's own module, with this clone installed as its `quiverdb`. */
function runLibraryExample() {
  step('the README library example');
  const project = mkdtempSync(join(tmpdir(), 'quiver-first-run-app-'));
  try {
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(root, join(project, 'node_modules', 'quiverdb'), 'dir');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'first-run-app', private: true, type: 'module' }));
    writeFileSync(join(project, 'example.mjs'), libraryExample());
    let output;
    try {
      output = execFileSync(process.execPath, ['example.mjs'], { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      fail(`the README library example failed:\n${error.stderr || error.message}`);
    }
    // Its first search, by vector, finds a first.
    if (!/^\[\s*\{\s*id: 'a'/.test(output)) fail(`the README library example's first search did not find a first:\n${output}`);
    if (!output.includes("plan: 'exact'")) fail(`the README library example's explain shows no plan:\n${output}`);
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

/** `npm ci`, as the Quick start says; its warnings are shown, its failure ends the run. */
function install() {
  step('npm ci');
  const started = Date.now();
  try {
    execFileSync('npm', ['ci'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    fail('npm ci failed (its output is above)');
  }
  step(`npm ci took ${Math.round((Date.now() - started) / 1000)} s`);
}

async function main() {
  if (process.argv.includes('--install')) install();
  runLibraryExample();

  step('npx quiver --help');
  const help = execFileSync('npx', ['quiver', '--help'], { cwd: root, encoding: 'utf8' });
  if (!help.includes('usage: quiver serve')) fail(`npx quiver --help printed no usage:\n${help}`);

  const data = mkdtempSync(join(tmpdir(), 'quiver-first-run-'));
  const port = await freePort();
  step(`npx quiver serve --port ${port}`);
  // A process group of its own, as in a terminal: Ctrl-C reaches npx and the server it started alike.
  const server = spawn('npx', ['quiver', 'serve', '--port', String(port), '--data', data, '--log-level', 'warn'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  const exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));
  // The pipe closes once every process holding it (npx and the server) has exited.
  const allExited = new Promise((resolve) => server.stdout.on('close', resolve));
  try {
    await new Promise((resolve, reject) => {
      let output = '';
      server.stdout.on('data', (chunk) => {
        output += chunk;
        if (output.includes('quiver listening on')) resolve();
      });
      exited.then(({ code }) => reject(new Error(`the server exited (${code}) before it listened: ${output}`)));
      setTimeout(() => reject(new Error('the server did not listen within 60 s')), 60_000).unref();
    });
    const base = `http://127.0.0.1:${port}`;
    for (const { command, method, path, body } of walkthrough()) {
      step(`${method} ${path}`);
      const response = await fetch(base + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body,
      });
      const text = await response.text();
      if (!response.ok) fail(`${command.slice(0, 120)}...\n  answered ${response.status}: ${text}`);
      JSON.parse(text);
    }
    const hits = await (await fetch(`${base}/collections/articles/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: '泛型', k: 2, include: [] }),
    })).json();
    if (hits.hits?.[0]?.id !== 'a4') fail(`the walkthrough's Chinese keyword search found ${JSON.stringify(hits)}, not a4 first`);
    for (const path of ['/health', '/health/ready', '/openapi.json', '/metrics', '/dashboard/', '/dashboard/app.js']) {
      step(`GET ${path}`);
      const response = await fetch(base + path);
      if (!response.ok) fail(`GET ${path} answered ${response.status}`);
    }
  } catch (error) {
    process.kill(-server.pid, 'SIGKILL');
    fail(error instanceof Error ? error.message : String(error));
  }
  step('stop (Ctrl-C)');
  process.kill(-server.pid, 'SIGINT');
  const stopped = await Promise.race([allExited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 60_000).unref())]);
  if (!stopped) {
    process.kill(-server.pid, 'SIGKILL');
    fail('the server was still running 60 s after Ctrl-C');
  }
  const { code, signal } = await exited;
  rmSync(data, { recursive: true, force: true });
  // The server finishes its requests and snapshots, then exits 0; npx exits with it (or by the signal).
  if (code !== 0 && signal !== 'SIGINT') fail(`npx quiver serve exited with ${code ?? signal} on Ctrl-C`);
  step('done');
  // fetch's pooled connections would keep this process alive a while longer.
  process.exit(0);
}

await main();
