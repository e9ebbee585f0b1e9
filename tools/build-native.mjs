// Builds the optional native CPU kernels (native/, a Node-API addon over OpenBLAS) with the
// node-gyp that ships inside npm. Never fails the install: on any problem it prints one line
// and exits 0, and the library falls back to the wasm backend at run time.
// Usage: node tools/build-native.mjs [--quiet]   (GAN_SEGMENTER_SKIP_NATIVE=1 skips it)
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const quiet = process.argv.includes('--quiet');
const say = (msg) => console.log(`gan-segmenter native kernels: ${msg}`);

const findNodeGyp = () => {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((p) => p && existsSync(p));
};

// Headers of the running Node, so node-gyp needs no download (there may be no network).
const findNodeDir = () => {
  const candidates = [process.env.npm_config_nodedir, resolve(dirname(process.execPath), '..'), '/usr', '/usr/local'];
  return candidates.find((d) => d && existsSync(join(d, 'include', 'node', 'node_api.h')));
};

const main = () => {
  if (process.env.GAN_SEGMENTER_SKIP_NATIVE === '1') return say('skipped (GAN_SEGMENTER_SKIP_NATIVE=1); using wasm');
  if (process.platform !== 'linux' && process.platform !== 'darwin') return say(`not built on ${process.platform}; using wasm`);
  if (!existsSync(join(nativeDir, 'binding.gyp'))) return say('native/binding.gyp not found; using wasm');
  const gyp = findNodeGyp();
  if (!gyp) return say('node-gyp not found; using wasm');
  const nodedir = findNodeDir();
  const args = [gyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  const r = spawnSync(process.execPath, args, { cwd: nativeDir, encoding: 'utf8', env: process.env, timeout: 300_000 });
  if (r.status !== 0) {
    const log = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').filter((l) => /error|not found|cannot find/i.test(l));
    return say(`build failed (${log[0]?.trim() ?? r.error?.message ?? `exit ${r.status}`}); using wasm. Needs g++, make and libopenblas-dev.`);
  }
  if (!quiet) say('built native/build/Release/gan_segmenter_native.node');
};

try {
  main();
} catch (e) {
  say(`build skipped (${e instanceof Error ? e.message : String(e)}); using wasm`);
}
process.exit(0);
