// Imports one module (argv[2]) and prints, as JSON, what that loaded: every
// URL the ESM loader resolved (a resolve hook), every native addon opened
// (process.dlopen: better-sqlite3, hnswlib-node) and every WebAssembly
// module compiled. Run by module-isolation.test.ts in a fresh node process.
import { readFileSync, rmSync } from 'node:fs';
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const log = join(tmpdir(), `quiver-module-probe-${process.pid}.log`);
register(new URL('./module-probe-hooks.mjs', import.meta.url), { data: { log } });

const dlopened = [];
const dlopen = process.dlopen;
process.dlopen = function (module, filename, ...rest) {
  dlopened.push(filename);
  return dlopen.call(this, module, filename, ...rest);
};
const wasm = [];
for (const name of ['compile', 'compileStreaming', 'instantiate', 'instantiateStreaming', 'validate']) {
  const original = WebAssembly[name];
  if (typeof original === 'function') {
    WebAssembly[name] = function (...args) {
      wasm.push(name);
      return original.apply(this, args);
    };
  }
}
const WasmModule = WebAssembly.Module;
WebAssembly.Module = new Proxy(WasmModule, {
  construct(target, args, newTarget) {
    wasm.push('Module');
    return Reflect.construct(target, args, newTarget);
  },
});

await import(pathToFileURL(process.argv[2]).href);
const resolved = readFileSync(log, 'utf8').split('\n').filter(Boolean);
rmSync(log, { force: true });
process.stdout.write(JSON.stringify({ resolved, dlopened, wasm }));
