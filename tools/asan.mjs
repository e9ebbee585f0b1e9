// `npm run test:asan`: builds the native addon (native/) with AddressSanitizer into a separate folder
// (.tmp/asan-native, never touching native/build) and runs the native kernel tests
// (test/backend/native/*.test.ts) against it with libasan preloaded into Node.
// Usage: node tools/asan.mjs [--no-build] [test filters…]
// Exit: 0 when the build succeeded and every test passed with no ASan report; 1 otherwise (the
// ASan report, if any, is printed by the sanitizer itself on stderr).
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, '.tmp', 'asan-native'); // .tmp/ is git-ignored
const args = process.argv.slice(2);
const noBuild = args.includes('--no-build');
const filters = args.filter((a) => !a.startsWith('--'));
const say = (m) => console.error(`test:asan: ${m}`);

const libasan = () => {
  const r = spawnSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' });
  const p = (r.stdout ?? '').trim();
  return r.status === 0 && p.startsWith('/') && existsSync(p) ? p : undefined;
};

const nodeGyp = () =>
  [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].find((p) => p && existsSync(p));

const nodeDir = () =>
  [process.env.npm_config_nodedir, resolve(dirname(process.execPath), '..'), '/usr', '/usr/local'].find((d) => d && existsSync(join(d, 'include', 'node', 'node_api.h')));

const build = () => {
  rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });
  cpSync(join(root, 'native', 'src'), join(buildDir, 'src'), { recursive: true });
  const gyp = JSON.parse(readFileSync(join(root, 'native', 'binding.gyp'), 'utf8'));
  const t = gyp.targets[0];
  const asan = ['-fsanitize=address', '-fno-omit-frame-pointer', '-g'];
  // -O1 keeps ASan's reports exact; the kernels' own -O3 is replaced.
  t.cflags_cc = [...t.cflags_cc.filter((f) => !/^-O/.test(f)), '-O1', ...asan];
  t.cflags = ['-O1', ...asan];
  t.ldflags = [...(t.ldflags ?? []), '-fsanitize=address'];
  writeFileSync(join(buildDir, 'binding.gyp'), JSON.stringify(gyp, null, 2));
  const g = nodeGyp();
  if (!g) throw new Error('node-gyp not found (it ships inside npm)');
  const nd = nodeDir();
  say(`building with -fsanitize=address in ${buildDir}`);
  const r = spawnSync(process.execPath, [g, 'rebuild', ...(nd ? [`--nodedir=${nd}`] : [])], { cwd: buildDir, stdio: ['ignore', 'ignore', 'inherit'], timeout: 900_000 });
  if (r.status !== 0) throw new Error(`node-gyp rebuild failed (exit ${r.status})`);
};

const main = () => {
  const lib = libasan();
  if (!lib) throw new Error('libasan.so not found (gcc -print-file-name=libasan.so); install gcc');
  if (!noBuild) build();
  const addon = join(buildDir, 'build', 'Release', 'gan_segmenter_native.node');
  if (!existsSync(addon)) throw new Error(`${addon} is missing; run without --no-build`);
  const nm = spawnSync('nm', ['-D', addon], { encoding: 'utf8' });
  const instrumented = /__asan_/.test(nm.stdout ?? '');
  say(`addon ${addon} (${instrumented ? 'ASan-instrumented' : 'NOT instrumented?'}), LD_PRELOAD=${lib}`);
  if (!instrumented) throw new Error('the built addon has no __asan_ symbols');
  // The kernel tests skip themselves when the addon does not load: make sure it does, under ASan.
  const probe = spawnSync(process.execPath, ['-e', `const m={exports:{}};process.dlopen(m,${JSON.stringify(addon)});console.log(Object.getOwnPropertyNames(m.exports).length)`], {
    encoding: 'utf8',
    env: { ...process.env, LD_PRELOAD: lib, ASAN_OPTIONS: 'detect_leaks=0' },
  });
  if (probe.status !== 0) throw new Error(`the ASan addon does not load in Node: ${(probe.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
  say(`addon loads under ASan (${probe.stdout.trim()} exports)`);
  // Canary: a library built the same way that overflows a heap buffer when loaded must be caught
  // inside Node — otherwise a clean run below would prove nothing.
  const canarySrc = join(buildDir, 'canary.cc'), canary = join(buildDir, 'canary.so');
  writeFileSync(canarySrc, '#include <cstdlib>\nstatic volatile int sink;\n__attribute__((constructor)) static void overflow() { int* p = (int*)std::malloc(4 * sizeof(int)); sink = p[4]; std::free(p); }\n');
  const cc = spawnSync('g++', ['-shared', '-fPIC', '-O0', '-fsanitize=address', '-o', canary, canarySrc], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cannot build the ASan canary: ${cc.stderr}`);
  const c = spawnSync(process.execPath, ['-e', `try{process.dlopen({exports:{}},${JSON.stringify(canary)})}catch{}`], { encoding: 'utf8', env: { ...process.env, LD_PRELOAD: lib, ASAN_OPTIONS: 'detect_leaks=0' } });
  if (c.status === 0 || !/heap-buffer-overflow/.test(c.stderr ?? '')) throw new Error(`ASan did not catch the canary's heap-buffer-overflow inside Node (exit ${c.status}); a passing run would prove nothing`);
  say('canary: a heap-buffer-overflow in a library loaded by Node is reported by ASan (as it must be)');
  const dir = join(root, 'test', 'backend', 'native');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts') && (filters.length === 0 || filters.some((s) => f.includes(s))))
    .map((f) => join('test', 'backend', 'native', f));
  // Node itself is not instrumented; V8's allocator makes LeakSanitizer report Node's own
  // intentionally unfreed globals, so leak detection is off. Every heap-buffer-overflow,
  // use-after-free and double-free inside the addon still aborts the process.
  const env = {
    ...process.env,
    LD_PRELOAD: lib,
    GAN_SEGMENTER_NATIVE_ADDON: addon,
    ASAN_OPTIONS: `detect_leaks=0:abort_on_error=1:halt_on_error=1:allow_user_segv_handler=1:handle_segv=1${process.env.ASAN_OPTIONS ? `:${process.env.ASAN_OPTIONS}` : ''}`,
  };
  say(`running ${files.join(' ')}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) {
    say(`FAILED (exit ${r.status}${r.signal ? `, signal ${r.signal}` : ''})`);
    process.exit(1);
  }
  say('passed under AddressSanitizer');
};

try {
  main();
} catch (e) {
  say(`FAILED: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
