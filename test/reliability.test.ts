// Reliability of the training engine under faults (issue 20): the output-folder lock, injected
// read-only / out-of-space errors, a corrupt newest checkpoint, the checkpoint folder deleted
// mid-run, non-finite losses. Real mounts (tmpfs, read-only) are exercised by `npm run test:faults`.
import { test, before, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/init.ts';
import { listCheckpoints, loadCheckpoint, loadLatestCheckpoint } from '../src/train/checkpoint.ts';
import { NonFiniteError, TrainingError } from '../src/train/errors.ts';
import type { TrainEvent } from '../src/train/events.ts';
import { trainGan } from '../src/train/gan.ts';
import { acquireRunLock, LOCK_FILE, LockedError } from '../src/train/lock.ts';
import { crc32c } from '../src/train/tensorboard.ts';
import { tinyConfig, tinyNetworks, tinyReals } from './train/tiny-gan.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

const tmp = (p: string): string => fs.mkdtempSync(path.join(os.tmpdir(), p));
const dispose = (n: ReturnType<typeof tinyNetworks>): void => { n.generator.dispose(); n.generatorEma.dispose(); n.discriminator.dispose(); };
const leftovers = (dir: string): string[] => fs.readdirSync(dir).filter((n) => n.startsWith('.tmp-'));
const checkpointBytes = (dir: string): Buffer => Buffer.concat([fs.readFileSync(path.join(dir, 'tensors.bin')), fs.readFileSync(path.join(dir, 'manifest.json'))]);

// Fault injection: replace one function of node:fs (seen through the ESM namespace too) for one test.
const fsCjs = createRequire(import.meta.url)('node:fs') as Record<string, unknown>;
const restores: Array<() => void> = [];
const inject = <K extends keyof typeof fs>(name: K, wrap: (orig: (typeof fs)[K]) => (typeof fs)[K]): void => {
  const orig = fsCjs[name] as (typeof fs)[K];
  fsCjs[name] = wrap(orig);
  syncBuiltinESMExports();
  restores.push(() => { fsCjs[name] = orig; syncBuiltinESMExports(); });
};
const fsError = (code: string, syscall: string, file: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: injected, ${syscall} '${file}'`), { code, syscall, path: file });
afterEach(() => { while (restores.length > 0) restores.pop()!(); });

// ---------------------------------------------------------------------------
// Lock
// ---------------------------------------------------------------------------

test('lock: a second run on a locked folder gets a LockedError naming the lock file and its holder; released after', () => {
  const dir = tmp('lock-');
  const a = acquireRunLock(dir, { command: 'first' });
  assert.equal(a.path, path.resolve(dir, LOCK_FILE));
  const info = JSON.parse(fs.readFileSync(a.path, 'utf8'));
  assert.equal(info.pid, process.pid);
  assert.equal(info.host, os.hostname());
  assert.ok(!Number.isNaN(Date.parse(info.started)));
  assert.throws(() => acquireRunLock(dir, { command: 'second' }), (e: unknown) =>
    e instanceof LockedError && e.path === a.path && e.message.includes(a.path) && /another run is writing/.test(e.message) && /first/.test(e.message));
  a.release();
  assert.ok(!fs.existsSync(a.path));
  acquireRunLock(dir).release(); // free again
  a.release(); // idempotent
  fs.rmSync(dir, { recursive: true });
});

test('lock: a live holder in another process refuses; a dead holder (SIGKILLed run) is taken over and reported; an empty lock is stale only after 2 s; a lock of another host never', async () => {
  const dir = tmp('lock-proc-');
  const file = path.join(dir, LOCK_FILE);
  // a live process holding the lock
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  fs.writeFileSync(file, JSON.stringify({ pid: child.pid, host: os.hostname(), started: new Date().toISOString(), command: 'trainGan', token: 'x' }));
  assert.throws(() => acquireRunLock(dir), (e: unknown) => e instanceof LockedError && e.holder?.pid === child.pid && e.message.includes(file));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  // now its pid is dead: stale, taken over with a message
  const seen: string[] = [];
  const lock = acquireRunLock(dir, { onStale: (p, h) => seen.push(`${p} ${h?.pid}`) });
  assert.deepEqual(seen, [`${path.resolve(file)} ${child.pid}`]);
  assert.equal(lock.tookOver?.pid, child.pid);
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).pid, process.pid);
  lock.release();
  // an empty lock (a holder killed between its O_EXCL create and its write): locked while fresh, stale after 2 s
  fs.writeFileSync(file, '');
  assert.throws(() => acquireRunLock(dir), LockedError);
  fs.utimesSync(file, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  acquireRunLock(dir).release();
  // a holder on another host is never taken over (its pid cannot be checked)
  fs.writeFileSync(file, JSON.stringify({ pid: 1, host: `${os.hostname()}-elsewhere`, started: '2020-01-01T00:00:00Z', command: 'trainGan', token: 'y' }));
  assert.throws(() => acquireRunLock(dir), LockedError);
  fs.rmSync(dir, { recursive: true });
});

test('lock: process.exit (a second Ctrl-C) removes the lock; SIGKILL leaves it with a dead pid and the next run takes it over', () => {
  const dir = tmp('lock-exit-');
  const src = `import { acquireRunLock } from ${JSON.stringify(path.resolve('src/train/lock.ts'))};
acquireRunLock(process.argv[1]); if (process.argv[2] === 'exit') process.exit(130); else process.kill(process.pid, 'SIGKILL');`;
  // process.exit (e.g. a second Ctrl-C) still removes the lock
  let r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', src, dir, 'exit']);
  assert.equal(r.status, 130);
  assert.ok(!fs.existsSync(path.join(dir, LOCK_FILE)));
  // SIGKILL cannot run exit handlers: the lock stays, with a dead pid
  r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', src, dir, 'kill']);
  assert.equal(r.signal, 'SIGKILL');
  assert.ok(fs.existsSync(path.join(dir, LOCK_FILE)));
  const lock = acquireRunLock(dir);
  assert.ok(lock.tookOver !== undefined);
  lock.release();
  fs.rmSync(dir, { recursive: true });
});

test('lock: two trainGan runs on one folder at once — the second refuses with LockedError, the first finishes; lock released on end, error and abort', async () => {
  const out = tmp('lock-gan-');
  const n1 = tinyNetworks(), n2 = tinyNetworks();
  let second: Promise<unknown> | undefined;
  const r = await trainGan({ config: tinyConfig(4), networks: n1, reals: tinyReals, out, onEvent: (e) => {
    if (e.type === 'step' && e.step === 1) second = trainGan({ config: tinyConfig(4), networks: n2, reals: tinyReals, out }).then(() => 'finished', (err: unknown) => err);
  } });
  assert.equal(r.step, 4);
  const e2 = await second!;
  assert.ok(e2 instanceof LockedError && e2.message.includes(path.join(out, LOCK_FILE)), String(e2));
  assert.deepEqual(listCheckpoints(path.join(out, 'checkpoints')).map((c) => c.step), [4, 2], 'only the first run wrote');
  assert.ok(!fs.existsSync(path.join(out, LOCK_FILE)), 'released at the end');
  // released on error (non-finite, policy stop)
  const nanReals = (step: number, n: number): tf.Tensor4D => (step === 1 ? tf.fill([n, 4, 4, 1], NaN) as tf.Tensor4D : tinyReals(step, n));
  const out2 = tmp('lock-gan-err-');
  await assert.rejects(trainGan({ config: tinyConfig(4), networks: n2, reals: nanReals, out: out2 }), NonFiniteError);
  assert.ok(!fs.existsSync(path.join(out2, LOCK_FILE)), 'released on error');
  // released on abort (Ctrl-C path)
  const out3 = tmp('lock-gan-abort-');
  const ac = new AbortController();
  const ra = await trainGan({ config: tinyConfig(6), networks: n2, reals: tinyReals, out: out3, signal: ac.signal,
    onEvent: (e) => { if (e.type === 'step' && e.step === 1) ac.abort(); } });
  assert.equal(ra.step, 1);
  assert.ok(!fs.existsSync(path.join(out3, LOCK_FILE)), 'released on abort');
  assert.equal(loadLatestCheckpoint(path.join(out3, 'checkpoints'))!.step, 1);
  dispose(n1); dispose(n2);
  for (const d of [out, out2, out3]) fs.rmSync(d, { recursive: true });
});

// ---------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------

test('read-only output folder (injected EROFS): trainGan fails before training with a TrainingError naming the folder; nothing written', async () => {
  const parent = tmp('ro-');
  const out = path.join(parent, 'run');
  inject('mkdirSync', (orig) => ((p: fs.PathLike, o?: fs.MakeDirectoryOptions) => {
    if (String(p).startsWith(parent)) throw fsError('EROFS', 'mkdir', String(p));
    return orig(p, o as fs.MakeDirectoryOptions & { recursive: true });
  }) as typeof fs.mkdirSync);
  const n = tinyNetworks();
  let steps = 0;
  await assert.rejects(trainGan({ config: tinyConfig(2), networks: n, reals: tinyReals, out, onEvent: (e) => { if (e.type === 'step') steps++; } }),
    (e: unknown) => e instanceof TrainingError && (e as Error).message.includes(out) && /EROFS/.test((e as Error).message));
  assert.equal(steps, 0);
  assert.deepEqual(fs.readdirSync(parent), []);
  dispose(n);
  fs.rmSync(parent, { recursive: true });
});

test('out of space (injected ENOSPC) in the 2nd checkpoint write: TrainingError naming the checkpoint, no temp left, the 1st checkpoint intact, lock released, resume finishes', async () => {
  const out = tmp('enospc-');
  let armed = false;
  inject('writeSync', (orig) => ((fd: number, buf: NodeJS.ArrayBufferView, ...rest: unknown[]) => {
    // After the first checkpoint, the next large write is the second checkpoint's tensors.bin: the disk is full.
    if (armed && buf instanceof Uint8Array && buf.length > 1000) throw fsError('ENOSPC', 'write', 'tensors.bin');
    return (orig as (...a: unknown[]) => number)(fd, buf, ...rest);
  }) as typeof fs.writeSync);
  const n = tinyNetworks();
  const cfg = { ...tinyConfig(6) };
  await assert.rejects(trainGan({ config: cfg, networks: n, reals: tinyReals, out, onEvent: (e) => { if (e.type === 'checkpoint') armed = true; } }), (e: unknown) =>
    e instanceof TrainingError && (e as Error).message.includes(path.join(out, 'checkpoints', 'step-00000004')) && /ENOSPC/.test((e as Error).message));
  assert.deepEqual(leftovers(path.join(out, 'checkpoints')), []);
  assert.deepEqual(listCheckpoints(path.join(out, 'checkpoints')).map((c) => c.step), [2]);
  assert.equal(loadCheckpoint(path.join(out, 'checkpoints', 'step-00000002')).step, 2);
  assert.ok(!fs.existsSync(path.join(out, LOCK_FILE)));
  restores.pop()!();
  // space is back: the run resumes and ends where an uninterrupted one does
  const r = await trainGan({ config: cfg, networks: n, reals: tinyReals, out, resume: true });
  assert.equal(r.step, 6);
  const ref = tmp('enospc-ref-');
  const nr = tinyNetworks();
  await trainGan({ config: cfg, networks: nr, reals: tinyReals, out: ref });
  assert.deepEqual(checkpointBytes(path.join(out, 'checkpoints', 'step-00000006')), checkpointBytes(path.join(ref, 'checkpoints', 'step-00000006')));
  dispose(n); dispose(nr);
  fs.rmSync(out, { recursive: true }); fs.rmSync(ref, { recursive: true });
});

test('corrupt newest checkpoint: resume falls back to the previous one, says so in a warning event naming the skipped folder, removes leftover temp checkpoints, and ends bit-identical', async () => {
  const out = tmp('corrupt-');
  const n = tinyNetworks();
  const ac = new AbortController();
  await trainGan({ config: tinyConfig(8), networks: n, reals: tinyReals, out, signal: ac.signal, onEvent: (e) => { if (e.type === 'step' && e.step === 4) ac.abort(); } });
  const newest = path.join(out, 'checkpoints', 'step-00000004');
  const bin = path.join(newest, 'tensors.bin');
  const bytes = fs.readFileSync(bin); bytes[bytes.length - 1] ^= 0x40; fs.writeFileSync(bin, bytes);
  fs.mkdirSync(path.join(out, 'checkpoints', '.tmp-step-00000006-99999')); // a killed writer's leftover
  const events: TrainEvent[] = [];
  const n2 = tinyNetworks();
  const r = await trainGan({ config: tinyConfig(8), networks: n2, reals: tinyReals, out, resume: true, onEvent: (e) => events.push(e) });
  assert.deepEqual(leftovers(path.join(out, 'checkpoints')), [], 'leftover temp checkpoints are removed by the lock holder');
  const w = events.find((e) => e.type === 'warning');
  assert.ok(w && w.type === 'warning' && w.kind === 'corrupt-checkpoint' && w.path === newest && w.message.includes(newest) && /checksum/.test(w.message), JSON.stringify(w));
  const start = events.find((e) => e.type === 'start');
  assert.ok(start && start.type === 'start' && start.step === 2 && start.resumedFrom === path.join(out, 'checkpoints', 'step-00000002'));
  assert.equal(r.step, 8);
  const ref = tmp('corrupt-ref-');
  const nr = tinyNetworks();
  await trainGan({ config: tinyConfig(8), networks: nr, reals: tinyReals, out: ref });
  assert.deepEqual(checkpointBytes(path.join(out, 'checkpoints', 'step-00000008')), checkpointBytes(path.join(ref, 'checkpoints', 'step-00000008')));
  dispose(n); dispose(n2); dispose(nr);
  fs.rmSync(out, { recursive: true }); fs.rmSync(ref, { recursive: true });
});

test('checkpoint folder deleted mid-run: recreated at the next checkpoint with a warning naming it; the run finishes and its last checkpoint is complete', async () => {
  const out = tmp('deleted-');
  const ckRoot = path.join(out, 'checkpoints');
  const events: TrainEvent[] = [];
  const n = tinyNetworks();
  const r = await trainGan({ config: tinyConfig(6), networks: n, reals: tinyReals, out, onEvent: (e) => {
    events.push(e);
    if (e.type === 'step' && e.step === 3) fs.rmSync(ckRoot, { recursive: true, force: true });
  } });
  assert.equal(r.step, 6);
  const w = events.filter((e) => e.type === 'warning');
  assert.equal(w.length, 1);
  assert.ok(w[0]!.type === 'warning' && w[0]!.kind === 'checkpoints-recreated' && w[0]!.path === ckRoot && w[0]!.message.includes(ckRoot));
  assert.deepEqual(listCheckpoints(ckRoot).map((c) => c.step), [6, 4]);
  const ref = tmp('deleted-ref-');
  const nr = tinyNetworks();
  await trainGan({ config: tinyConfig(6), networks: nr, reals: tinyReals, out: ref });
  assert.deepEqual(checkpointBytes(path.join(ckRoot, 'step-00000006')), checkpointBytes(path.join(ref, 'checkpoints', 'step-00000006')));
  dispose(n); dispose(nr);
  fs.rmSync(out, { recursive: true }); fs.rmSync(ref, { recursive: true });
});

test('NaN loss (injected at step 3), policy stop: NonFiniteError naming the output folder and the intact last checkpoint; policy skip: a skipped event, weights finite', async () => {
  const nanAt = (bad: number) => (step: number, n: number): tf.Tensor4D => (step === bad ? tf.fill([n, 4, 4, 1], Number.NaN) as tf.Tensor4D : tinyReals(step, n));
  const out = tmp('nan-');
  const n = tinyNetworks();
  const last = path.join(out, 'checkpoints', 'step-00000002');
  await assert.rejects(trainGan({ config: tinyConfig(6), networks: n, reals: nanAt(2), out }), (e: unknown) =>
    e instanceof NonFiniteError && e.step === 2 && e.where === `trainGan(${out})` && (e as Error).message.includes(last) && /non-finite loss/.test((e as Error).message));
  assert.equal(loadCheckpoint(last).step, 2);
  assert.deepEqual(leftovers(path.join(out, 'checkpoints')), []);
  const out2 = tmp('inf-');
  const n2 = tinyNetworks();
  const events: TrainEvent[] = [];
  const infAt = (step: number, k: number): tf.Tensor4D => (step === 2 ? tf.fill([k, 4, 4, 1], Number.POSITIVE_INFINITY) as tf.Tensor4D : tinyReals(step, k));
  const r = await trainGan({ config: { ...tinyConfig(4), onNonFinite: 'skip' }, networks: n2, reals: infAt, out: out2, onEvent: (e) => events.push(e) });
  assert.equal(r.skippedSteps, 1);
  assert.deepEqual(events.filter((e) => e.type === 'skipped').map((e) => e.type === 'skipped' && `${e.step}:${e.phase}`), ['3:Dmain', '3:Dreg']);
  const ck = loadLatestCheckpoint(path.join(out2, 'checkpoints'))!;
  assert.ok([...ck.tensors.values()].every((t) => t.data.every(Number.isFinite)));
  dispose(n); dispose(n2);
  fs.rmSync(out, { recursive: true }); fs.rmSync(out2, { recursive: true });
});

test('loadCheckpoint: a manifest that is not an object, or a tensor outside tensors.bin, is a TrainingError naming the folder (not a RangeError)', () => {
  const root = tmp('ck-manifest-');
  const dir = path.join(root, 'step-00000001');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'tensors.bin'), new Uint8Array(8));
  const crc = crc32c(new Uint8Array(8));
  const outside = { format: 1, step: 1, bytes: 8, crc32c: crc, meta: null, tensors: [{ name: 'w', shape: [4], offset: 0, length: 4 }] }; // 16 bytes in an 8-byte file
  for (const manifest of ['null', '[]', JSON.stringify({ ...outside, tensors: 5 }), JSON.stringify(outside), JSON.stringify({ ...outside, tensors: [{ name: 'w', shape: [1], offset: 2, length: 1 }] })]) {
    fs.writeFileSync(path.join(dir, 'manifest.json'), manifest);
    assert.throws(() => loadCheckpoint(dir), (e: unknown) => e instanceof TrainingError && (e as Error).message.includes(dir), manifest);
  }
  fs.rmSync(root, { recursive: true });
});

test('old checkpoints are pruned (and a same-step one replaced) by renaming them to a temp name first: a kill never leaves a half-deleted step- folder', async () => {
  const out = tmp('prune-');
  const removed: string[] = [];
  inject('rmSync', (orig) => ((p: fs.PathLike, o?: fs.RmOptions) => {
    if (fs.existsSync(p) && fs.statSync(p).isDirectory()) removed.push(path.basename(String(p)));
    return orig(p, o);
  }) as typeof fs.rmSync);
  const n = tinyNetworks();
  await trainGan({ config: { ...tinyConfig(10), keepCheckpoints: 2 as ReturnType<typeof tinyConfig>['keepCheckpoints'] }, networks: n, reals: tinyReals, out });
  const ckRoot = path.join(out, 'checkpoints');
  assert.deepEqual(listCheckpoints(ckRoot).map((c) => c.step), [10, 8]);
  assert.ok(removed.some((r) => r.startsWith('.tmp-del-step-00000002')), removed.join());
  assert.deepEqual(removed.filter((r) => /^step-/.test(r)), [], 'no final-named checkpoint folder is deleted in place');
  assert.deepEqual(leftovers(ckRoot), []);
  dispose(n);
  fs.rmSync(out, { recursive: true });
});
