import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addonPath, loadAddon } from '../../../src/backend/native/addon.ts';

const built = loadAddon();
const skip = built.ok ? false : `native addon not built (${built.error}); run \`npm run build:native\``;

// oneDNN 2.x's JIT SGEMM kernels point rsp into the heap while they run (uxlfoundation/oneDNN#4845):
// a signal handled then pushed its frame onto malloc's chunks, and `node --cpu-prof` (SIGPROF every
// sampling interval) aborted with "corrupted size vs. prev_size" / "malloc(): unaligned tcache chunk
// detected" within a second of products like these. The addon defers signals around every call into
// oneDNN (SignalsDeferred in native/src/kernels.h). The child process below multiplies through the
// addon's SGEMM (oneDNN's for these sizes when libdnnl.so.2 loads) under the profiler at a 50 µs
// interval while a worker thread also sends it SIGUSR2 (a handler without SA_ONSTACK, as libuv's),
// and checks every repeated product is bit-identical to its first.
const child = String.raw`
const { Worker } = require('node:worker_threads');
const m = { exports: {} };
process.dlopen(m, process.env.ADDON);
const addon = m.exports;
addon.setThreads(2);
let usr2 = 0;
process.on('SIGUSR2', () => { usr2++; });
const stop = new Int32Array(new SharedArrayBuffer(4));
const w = new Worker("const { workerData: s } = require('node:worker_threads'); const t = new Int32Array(new SharedArrayBuffer(4)); while (Atomics.load(s, 0) === 0) { process.kill(process.pid, 'SIGUSR2'); Atomics.wait(t, 0, 0, 0.2); }", { eval: true, workerData: stop });
let seed = 1;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
const shapes = [[256, 256, 256], [64, 512, 512], [1024, 64, 576], [512, 1024, 16]];
const cases = [];
for (const [mm, n, k] of shapes) for (const ta of [0, 1]) for (const tb of [0, 1]) {
  cases.push({ dims: Int32Array.from([1, mm, n, k, ta, tb, 0, 0]), a: new Float32Array(mm * k).map(rnd), b: new Float32Array(k * n).map(rnd), n: mm * n, first: undefined });
}
const until = Date.now() + Number(process.env.MS);
let calls = 0;
while (Date.now() < until) {
  for (const c of cases) {
    const out = new Float32Array(c.n);
    addon.batchMatMul(c.dims, c.a, c.b, out);
    calls++;
    if (!c.first) c.first = out;
    else if (Buffer.compare(Buffer.from(out.buffer), Buffer.from(c.first.buffer)) !== 0) { console.log('DIFFERS', Array.from(c.dims).join(',')); process.exit(3); }
  }
}
Atomics.store(stop, 0, 1);
w.terminate().then(() => console.log('ok', addon.gemm(), calls, 'products', usr2 > 0 ? 'with SIGUSR2' : 'no SIGUSR2 handled'));
`;

test('native SGEMM survives signals: node --cpu-prof (SIGPROF) plus a SIGUSR2 storm, products unchanged', { skip, timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gsn-signals-'));
  try {
    const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '50', '-e', child], {
      encoding: 'utf8',
      env: { ...process.env, ADDON: addonPath(), MS: '3000' },
      timeout: 100_000,
    });
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-5).join(' | ');
    assert.equal(r.signal, null, `child killed by ${r.signal}: ${out}`);
    assert.equal(r.status, 0, `child exit ${r.status}: ${out}`);
    assert.match(r.stdout, /^ok /m, out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
