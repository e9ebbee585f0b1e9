// Ctrl-C on the real CLI process: `gan-segmenter train-gan` gets SIGINT after its first steps, writes a
// checkpoint of the step it reached, releases its lock and exits 130; `--resume` then finishes the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listCheckpoints, loadCheckpoint } from '../src/train/checkpoint.ts';
import { LOCK_FILE } from '../src/train/lock.ts';

const cli = path.resolve(import.meta.dirname, '..', 'src', 'cli', 'main.ts');
const tiny = ['backend=cpu', 'model.resolution=16', 'model.width=4', 'model.dWidth=4', 'model.latentDim=8', 'data.count=8',
  'train.batchSize=2', 'train.checkpointEvery=1000', 'train.sampleEvery=0', 'train.numSamples=4', 'train.logEvery=1'];

const runCli = (args: readonly string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; signal: string | null; stderr: string; stdout: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '', stdout = '';
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); onStderr?.(stderr, child); });
    child.on('exit', (code, signal) => resolve({ code, signal, stderr, stdout }));
  });

test('SIGINT during train-gan (CLI process): checkpoint of the reached step, lock released, exit 130; --resume finishes', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sigint-'));
  let sent = false;
  const r = await runCli(['train-gan', `out=${out}`, 'train.steps=500', ...tiny], (text, child) => {
    if (!sent && /step 2\/500/.test(text)) { sent = true; child.kill('SIGINT'); }
  });
  assert.ok(sent, `never saw step 2:\n${r.stderr}`);
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /interrupted: writing a checkpoint/);
  const cks = listCheckpoints(path.join(out, 'checkpoints'));
  assert.equal(cks.length, 1);
  const ck = loadCheckpoint(cks[0]!.dir); // verifies sizes and the checksum
  assert.ok(ck.step >= 2 && ck.step < 500, `step ${ck.step}`);
  assert.deepEqual(fs.readdirSync(path.join(out, 'checkpoints')).filter((n) => n.startsWith('.tmp-')), []);
  assert.ok(!fs.existsSync(path.join(out, LOCK_FILE)), 'lock released');
  const r2 = await runCli(['train-gan', '--resume', out, `train.steps=${ck.step + 2}`]);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(JSON.parse(r2.stdout.trim().split('\n').pop()!).step, ck.step + 2);
  fs.rmSync(out, { recursive: true });
});
