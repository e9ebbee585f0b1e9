/**
 * Faults on real file systems (issue 20), through the real CLI (`node --import tsx src/cli/main.ts`):
 *
 * - read-only output folder: a tmpfs remounted read-only (`mount -o remount,ro`), both as the output
 *   folder itself and as the parent of one to create;
 * - out of space: a 2 MiB tmpfs (`mount -t tmpfs -o size=2m`) that fills up during the run's
 *   checkpoints; then the space is grown (`remount,size=16m`) and `--resume` finishes the run;
 * - Ctrl-C: SIGINT during `train-gan` and `train-segmenter` (exit 130, a complete checkpoint);
 * - a second run on a folder a live run holds (the lock).
 *
 * Each row: the exit code, the message's first line, whether it names the path, and the checkpoint
 * state afterwards (every checkpoint verified, no temp folder, no lock left).
 *
 * Needs root with CAP_SYS_ADMIN (mount). Without it this script FAILS LOUDLY (exit 2): the same
 * faults are covered by injected errors in `test/reliability.test.ts` (npm test).
 *
 * Usage: `node --import tsx tools/faults.ts`  (npm run test:faults)
 *
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listCheckpoints, loadCheckpoint } from '../src/train/checkpoint.ts';
import { LOCK_FILE } from '../src/train/lock.ts';

const cli = path.resolve(import.meta.dirname, '..', 'src', 'cli', 'main.ts');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'faults-'));
const mounts: string[] = [];

const sh = (cmd: string, args: string[]): { ok: boolean; err: string } => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, err: `${r.stderr ?? ''}${r.error?.message ?? ''}`.trim() };
};
const mountTmpfs = (dir: string, size: string): void => {
  fs.mkdirSync(dir, { recursive: true });
  const r = sh('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  if (!r.ok) {
    console.error(`faults: FAILED — cannot mount a tmpfs at ${dir} (${r.err || 'mount failed'}).`);
    console.error('faults: this script needs root with CAP_SYS_ADMIN (e.g. a privileged container); npm test covers the same faults with injected errors.');
    cleanup();
    process.exit(2);
  }
  mounts.push(dir);
};
const cleanup = (): void => {
  for (const m of mounts.reverse()) sh('umount', [m]);
  fs.rmSync(root, { recursive: true, force: true });
};

interface Result { code: number | null; signal: string | null; stderr: string; stdout: string }
const runCli = (args: readonly string[], onStderr?: (text: string, kill: (s: NodeJS.Signals) => void) => void): Promise<Result> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '', stdout = '';
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); onStderr?.(stderr, (s) => child.kill(s)); });
    child.on('exit', (code, signal) => resolve({ code, signal, stderr, stdout }));
  });

/** Every checkpoint under `dir/checkpoints` loads (sizes + crc32c); no temp folder; no lock. */
const checkpointState = (dir: string): { ok: boolean; text: string } => {
  const ck = path.join(dir, 'checkpoints');
  if (!fs.existsSync(ck)) return { ok: !fs.existsSync(path.join(dir, LOCK_FILE)), text: 'no checkpoint folder' };
  const cks = listCheckpoints(ck);
  const bad = cks.filter((c) => { try { loadCheckpoint(c.dir); return false; } catch { return true; } });
  const temps = fs.readdirSync(ck).filter((n) => n.startsWith('.tmp-'));
  const lock = fs.existsSync(path.join(dir, LOCK_FILE));
  return {
    ok: bad.length === 0 && temps.length === 0 && !lock,
    text: `${cks.length} checkpoint(s) [${cks.map((c) => c.step).join(', ')}], ${bad.length} corrupt, ${temps.length} temp, lock ${lock ? 'LEFT' : 'released'}`,
  };
};
const firstError = (stderr: string): string => stderr.split('\n').find((l) => /^gan-segmenter /.test(l)) ?? stderr.trim().split('\n').pop() ?? '';

const GAN = (steps: number, width = 4): string[] => ['backend=cpu', 'model.resolution=16', `model.width=${width}`, `model.dWidth=${width}`, 'model.latentDim=16', 'data.count=8',
  'train.batchSize=2', 'train.checkpointEvery=1', 'train.sampleEvery=0', 'train.numSamples=4', 'train.logEvery=1', `train.steps=${steps}`];
const SEG = (steps: number): string[] => ['backend=cpu', 'resolution=16', 'model.width=4', 'model.depth=2', 'data.count=8', 'validation=null',
  'train.steps=' + steps, 'train.batchSize=2', 'train.checkpointEvery=1000', 'train.logEvery=1'];

interface Row { fault: string; command: string; expected: string; exit: string; message: string; namesPath: boolean; state: string; pass: boolean }
const rows: Row[] = [];
const record = (r: Row): void => {
  rows.push(r);
  console.error(`faults: ${r.pass ? 'ok  ' : 'FAIL'} ${r.fault} / ${r.command}: exit ${r.exit}; ${r.message}; ${r.state}`);
};

// --- read-only ---------------------------------------------------------------
const ro = path.join(root, 'ro');
mountTmpfs(ro, '4m');
fs.mkdirSync(path.join(ro, 'existing'));
if (!sh('mount', ['-o', 'remount,ro', ro]).ok) { console.error('faults: FAILED — cannot remount read-only'); cleanup(); process.exit(2); }
for (const [what, out] of [['read-only output folder (exists)', path.join(ro, 'existing')], ['read-only parent (folder to create)', path.join(ro, 'new-run')]] as const) {
  const r = await runCli(['train-gan', `out=${out}`, ...GAN(2)]);
  const msg = firstError(r.stderr);
  const state = checkpointState(out);
  record({ fault: what, command: 'train-gan', expected: 'exit 1, EROFS naming the folder', exit: String(r.code), message: msg, namesPath: msg.includes(out), state: state.text, pass: r.code === 1 && msg.includes(out) && /EROFS|read-only/i.test(msg) && !fs.existsSync(path.join(out, LOCK_FILE)) });
}

// --- out of space --------------------------------------------------------------
const full = path.join(root, 'full');
mountTmpfs(full, '2m');
{
  const out = path.join(full, 'gan');
  // width 16: a checkpoint is ~390 KB, so the 2 MiB tmpfs fills up after a few (3 kept + the one being written).
  const r = await runCli(['train-gan', `out=${out}`, ...GAN(40, 16), 'train.keepCheckpoints=6']);
  const msg = firstError(r.stderr);
  const state = checkpointState(out);
  record({ fault: 'out of space (2 MiB tmpfs) during checkpoints', command: 'train-gan', expected: 'exit 1, ENOSPC naming the checkpoint; older checkpoints intact', exit: String(r.code), message: msg, namesPath: msg.includes(out), state: state.text, pass: r.code === 1 && msg.includes(out) && /ENOSPC|space/i.test(msg) && state.ok && listCheckpoints(path.join(out, 'checkpoints')).length > 0 });
  // give it room; --resume finishes from the newest intact checkpoint
  sh('mount', ['-o', 'remount,size=16m', full]);
  const r2 = await runCli(['train-gan', '--resume', out, 'train.keepCheckpoints=2']);
  const st2 = checkpointState(out);
  const last = listCheckpoints(path.join(out, 'checkpoints'))[0]?.step;
  record({ fault: 'out of space, then space freed', command: 'train-gan --resume', expected: 'exit 0, finishes at step 40', exit: String(r2.code), message: r2.code === 0 ? `resumed, finished at step ${last}` : firstError(r2.stderr), namesPath: true, state: st2.text, pass: r2.code === 0 && last === 40 && st2.ok });
}
{
  const small = path.join(root, 'small');
  mountTmpfs(small, '64k');
  const out = path.join(small, 'gan');
  const r = await runCli(['train-gan', `out=${out}`, ...GAN(4, 16)]);
  const msg = firstError(r.stderr);
  record({ fault: 'out of space before the start (64 KiB free)', command: 'train-gan', expected: 'exit 1 before training, naming the folder', exit: String(r.code), message: msg, namesPath: msg.includes(out), state: checkpointState(out).text, pass: r.code === 1 && msg.includes(out) && !/step 1\//.test(r.stderr) });
}

// --- Ctrl-C -------------------------------------------------------------------
for (const [command, args] of [['train-gan', GAN(400)], ['train-segmenter', SEG(400)]] as const) {
  const out = path.join(root, `sigint-${command}`);
  let sent = false;
  const r = await runCli([command, `out=${out}`, ...args], (text, kill) => { if (!sent && / step 2\/400/.test(text)) { sent = true; kill('SIGINT'); } });
  const state = checkpointState(out);
  const cks = listCheckpoints(path.join(out, 'checkpoints'));
  record({ fault: 'Ctrl-C (SIGINT) after step 2', command, expected: 'exit 130, a complete checkpoint of the reached step', exit: String(r.code ?? r.signal), message: (r.stderr.split('\n').find((l) => /interrupted/.test(l)) ?? '').trim(), namesPath: true, state: state.text, pass: r.code === 130 && state.ok && cks.length > 0 && cks[0]!.step >= 2 && cks[0]!.step < 400 });
}

// --- a second run on a locked folder ---------------------------------------------
{
  const out = path.join(root, 'locked');
  let second: Result | undefined;
  const first = await runCli(['train-gan', `out=${out}`, ...GAN(400)], (text, kill) => {
    if (second === undefined && / step 2\/400/.test(text)) {
      second = { code: -1, signal: null, stderr: '', stdout: '' };
      void runCli(['train-gan', `out=${out}`, ...GAN(400)]).then((r) => { second = r; kill('SIGINT'); });
    }
  });
  const s = second!;
  const msg = firstError(s.stderr);
  record({ fault: 'second run on a folder a live run holds', command: 'train-gan', expected: 'the second exits 1 naming the lock file; the first unaffected', exit: String(s.code), message: msg, namesPath: msg.includes(path.join(out, LOCK_FILE)), state: `first run exit ${first.code}; ${checkpointState(out).text}`, pass: s.code === 1 && msg.includes(path.join(out, LOCK_FILE)) && first.code === 130 && checkpointState(out).ok });
}

cleanup();
console.log('\n| fault | command | expected | exit | message (first line) | names the path | checkpoints afterwards | pass |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.fault} | ${r.command} | ${r.expected} | ${r.exit} | ${r.message.replaceAll('|', '\\|').replaceAll(root, '<tmp>').slice(0, 220)} | ${r.namesPath ? 'yes' : 'no'} | ${r.state} | ${r.pass ? 'yes' : 'NO'} |`);
process.exit(rows.every((r) => r.pass) ? 0 : 1);
