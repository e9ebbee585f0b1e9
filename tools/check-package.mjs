// The package as a user gets it: `npm pack` (its prepack builds dist/), install the tarball
// into a fresh TypeScript project, type-check a script against it with tsconfigs for
// `module: node16` and `moduleResolution: bundler`, run it in Node (cpu backend) and in Deno
// (wasm, from that project's node_modules), run `npx gan-segmenter --help` there, and the demo's stages
// (`npx gan-segmenter run method=latent-direction` on the shipped generator, tiny settings, wasm).
// Prints one `check-package: ok …` line with the step times; exits 1 on the first failure.
// Usage: node tools/check-package.mjs [--keep] [--skip-deno]
// Dependencies install with --prefer-offline (the npm cache; the registry only for what it lacks).
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const skipDeno = process.argv.includes('--skip-deno');
const tmp = mkdtempSync(join(tmpdir(), 'gan-segmenter-package-'));
const app = join(tmp, 'app');
const times = {};

const fail = (msg) => {
  console.error(`check-package: FAIL ${msg}`);
  if (!keep) rmSync(tmp, { recursive: true, force: true });
  else console.error(`check-package: kept ${tmp}`);
  process.exit(1);
};

/** Run a command; fail with its output unless it exits 0. Returns stdout. */
const step = (name, cmd, args, opts = {}) => {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000, ...opts, env: { ...process.env, NO_COLOR: '1', ...opts.env } });
  times[name] = Math.round(performance.now() - t0) / 1000;
  if (r.status !== 0) fail(`${name}: \`${cmd} ${args.join(' ')}\` exited ${r.status ?? r.signal}\n${r.stdout ?? ''}\n${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`);
  return r.stdout;
};

// ---------------------------------------------------------------------------
// Pack: prepack builds dist/; the tarball must hold the build, the native sources, the assets
// ---------------------------------------------------------------------------
const pack = JSON.parse(step('pack', 'npm', ['pack', '--pack-destination', tmp, '--json'], { cwd: root, env: { npm_config_loglevel: 'error' } }))[0];
const packed = new Set(pack.files.map((f) => f.path));
const required = [
  'package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/models/index.d.ts',
  'native/binding.gyp', 'native/src/addon.cc', 'native/src/kernels.h', 'tools/build-native.mjs', 'assets/dcgan-shapes-32.safetensors',
];
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const entry of Object.values(pkg.exports)) {
  for (const target of typeof entry === 'string' ? [entry] : Object.values(entry)) required.push(target.replace(/^\.\//, ''));
}
const missing = [...new Set(required)].filter((f) => !packed.has(f));
if (missing.length > 0) fail(`the tarball lacks ${missing.join(', ')}`);
const leaked = [...packed].filter((f) => /^(test|bench|node_modules|native\/build)\//.test(f));
if (leaked.length > 0) fail(`the tarball holds files users do not need: ${leaked.slice(0, 5).join(', ')}`);

// ---------------------------------------------------------------------------
// A fresh TypeScript project that depends on the tarball only
// ---------------------------------------------------------------------------
mkdirSync(app);
const write = (name, value) => writeFileSync(join(app, name), typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`);
// npm ≥ 11.19 runs dependencies' install scripts only when the project allows them.
write('package.json', { name: 'gan-segmenter-user', private: true, type: 'module', allowScripts: { 'gan-segmenter': true } });
// tfjs 4.22's own .d.ts files need skipLibCheck and the DOM lib (DESIGN.md).
const common = { target: 'ES2022', lib: ['ES2022', 'DOM'], strict: true, skipLibCheck: true, types: [] };
write('tsconfig.json', { compilerOptions: { ...common, module: 'node16', moduleResolution: 'node16', outDir: 'out' }, files: ['main.ts'] });
write('tsconfig.bundler.json', { compilerOptions: { ...common, module: 'esnext', moduleResolution: 'bundler', noEmit: true }, files: ['main.ts'] });
write('main.ts', readFileSync(join(root, 'test/package/main.ts.in'), 'utf8'));

const install = step('install', 'npm', [
  'install', join(tmp, pack.filename), '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts',
], { cwd: app, env: { GAN_SEGMENTER_SKIP_NATIVE: '1' } });
// The install script ran (and, told to skip the native build, said so and did not fail the install).
if (!install.includes('gan-segmenter native kernels: skipped')) fail(`the package's install script did not run:\n${install}`);

const tsc = join(root, 'node_modules/.bin/tsc');
step('tsc-node16', tsc, ['-p', 'tsconfig.json'], { cwd: app });
step('tsc-bundler', tsc, ['-p', 'tsconfig.bundler.json'], { cwd: app });

/** The script's JSON line, checked. */
const checkRun = (name, stdout, backend) => {
  const line = stdout.trim().split('\n').pop() ?? '';
  let got;
  try {
    got = JSON.parse(line);
  } catch {
    fail(`${name}: no JSON line in its output:\n${stdout}`);
  }
  const want = { backend, images: [4, 32, 32, 3], masks: [4, 32, 32, 1], unetFromFile: { inChannels: 3, nClasses: 2, width: 4, depth: 2, bilinear: false } };
  for (const [k, v] of Object.entries(want)) {
    if (JSON.stringify(got[k]) !== JSON.stringify(v)) fail(`${name}: ${k} is ${JSON.stringify(got[k])}, expected ${JSON.stringify(v)}\n${stdout}`);
  }
  if (!(got.maskMean > 0 && got.maskMean < 1)) fail(`${name}: mask mean ${got.maskMean} outside (0, 1)`);
  return got;
};

const node = checkRun('node', step('node', process.execPath, ['out/main.js'], { cwd: app, env: { GAN_SEGMENTER_BACKEND: 'cpu' } }), 'cpu');

const help = step('cli-help', 'npx', ['--no-install', 'gan-segmenter', '--help'], { cwd: app });
for (const command of ['train-gan', 'train-segmenter', 'evaluate', 'sample', 'find-direction', 'segment', 'run']) {
  if (!new RegExp(`^\\s+${command}\\s`, 'm').test(help)) fail(`\`gan-segmenter --help\` does not list ${command}:\n${help}`);
}

// The demo's stages from the installed package alone (load the shipped generator, find the direction, make
// pairs, train the UNet, evaluate on `shapes`), at tiny settings on the wasm backend; `--json` gives the metrics.
const demo = step('demo-stages', 'npx', [
  '--no-install', 'gan-segmenter', 'run', '--json', '--quiet', 'method=latent-direction',
  'gan.weights=node_modules/gan-segmenter/assets/dcgan-shapes-32.safetensors', 'backend=wasm', 'out=demo-run',
  'latent-direction.iterations=20', 'data.count=64', 'unet.steps=5', 'unet.batchSize=8', 'eval.count=16',
], { cwd: app });
let demoReport;
try {
  demoReport = JSON.parse(demo.trim().split('\n').pop() ?? '');
} catch {
  fail(`demo-stages: no JSON result:\n${demo}`);
}
const iou = demoReport?.metrics?.iou;
if (!(typeof iou === 'number' && iou >= 0 && iou <= 1)) fail(`demo-stages: IoU ${iou} is not in [0, 1]:\n${demo}`);
if (!existsSync(join(app, 'demo-run', 'report.json'))) fail('demo-stages: no demo-run/report.json');

let deno;
if (!skipDeno) {
  const bin = join(root, 'node_modules/.bin/deno');
  if (!existsSync(bin)) fail('the deno devDependency is not installed');
  // --node-modules-dir=manual: resolve bare imports from the app's node_modules, as npm laid it out.
  deno = checkRun('deno', step('deno', bin, ['run', '--quiet', '--node-modules-dir=manual', '--allow-read', '--allow-write', '--allow-env', 'main.ts'], {
    cwd: app, env: { GAN_SEGMENTER_BACKEND: 'wasm', DENO_NO_UPDATE_CHECK: '1' },
  }), 'wasm');
  if (Math.abs(deno.imageMean - node.imageMean) > 1e-4) fail(`deno's images differ from node's: mean ${deno.imageMean} vs ${node.imageMean}`);
}

if (!keep) rmSync(tmp, { recursive: true, force: true });
const total = Object.values(times).reduce((a, b) => a + b, 0);
console.log(`check-package: ok in ${total.toFixed(1)} s (${Object.entries(times).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')})${keep ? ` kept ${tmp}` : ''}`);
