// The conventions every `gan-segmenter` command keeps (src/cli/main.ts, src/cli/output.ts):
// --help/-h on every command, --version/-V from package.json, exit codes 0 ok / 1 runtime
// error / 2 usage error, no terminal escapes without a TTY or with NO_COLOR / TERM=dumb,
// --quiet keeps stderr free of progress, --json puts exactly one JSON object on stdout.
// Some cases run in-process through `main`, some spawn the real entry point (tsx), so that
// nothing the backend prints at start-up can slip onto stdout unseen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { captureMain } from './capture-cli.ts';
import { commands } from '../src/cli/commands/index.ts';
import { usageLine } from '../src/cli/command.ts';
import { canDrawBars, cliOutput, packageVersion, splitGlobalFlags } from '../src/cli/output.ts';
import { progressReporter } from '../src/cli/training.ts';
import { Rng } from '../src/core/rng.ts';
import { writeShapes } from '../src/data/shapes-disk.ts';
import { generatedDocs, staleDocs } from '../tools/gen-cli-docs.ts';

const ROOT = resolve(import.meta.dirname, '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const ESC = '\u001b';

/** The real entry point in a child process (stdout and stderr are pipes, not terminals). */
const spawnCli = (args: string[], env: Record<string, string> = {}): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, GAN_SEGMENTER_BACKEND: 'cpu', ...env }, timeout: 240_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const inTmp = async (f: (dir: string) => Promise<void>): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-conv-'));
  try { await f(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
};

/** A tiny DCGAN run of train-gan: 2 steps at 16×16 on the cpu backend. */
const tinyGan = (out: string): string[] => ['train-gan', `out=${out}`, 'backend=cpu', 'model.resolution=16', 'model.width=2', 'model.dWidth=2', 'model.latentDim=4',
  'data.count=4', 'train.batchSize=2', 'train.steps=2', 'train.logEvery=1', 'train.checkpointEvery=2', 'train.sampleEvery=0'];

test('--version and -V print package.json\'s version (in-process and from the tsx entry point), exit 0', async () => {
  assert.equal(packageVersion(), VERSION);
  for (const flag of ['--version', '-V']) {
    const r = await captureMain([flag]);
    assert.deepEqual([r.code, r.out.trim()], [0, VERSION]);
  }
  const s = spawnCli(['--version']);
  assert.deepEqual([s.code, s.out.trim()], [0, VERSION], s.err);
});

test('--help/-h: the program lists every command and the global options; every command prints its usage with exit 0', async () => {
  const top = await captureMain(['--help']);
  assert.equal(top.code, 0);
  for (const c of commands) assert.match(top.out, new RegExp(`\\n  ${c.name} `), c.name);
  for (const flag of ['--quiet', '--json', '--version', '--help']) assert.ok(top.out.includes(flag), flag);
  for (const c of commands) {
    assert.match(c.usage, new RegExp(`^usage: gan-segmenter ${c.name}\\b`), `${c.name}: usage starts with its usage line`);
    for (const flag of ['--help', '-h']) {
      const r = await captureMain([c.name, flag]);
      assert.equal(r.code, 0, `${c.name} ${flag}`);
      assert.ok(r.out.startsWith(c.usage), `${c.name} ${flag} prints its usage`);
      assert.match(r.out, /global options:[\s\S]*--quiet[\s\S]*--json/);
      assert.equal(r.err, '');
    }
  }
});

test('every flag a command accepts appears in its usage text', async () => {
  // Each command rejects an unknown flag listing the ones it knows ("expected one of --a, --b"):
  // those names must all be documented in its --help.
  for (const c of commands) {
    const r = await captureMain([c.name, '--no-such-flag-xyz', 'x']);
    assert.equal(r.code, 2, `${c.name}: an unknown flag is a usage error\n${r.err}`);
    const known = /expected one of ([^,\n]+(?:, --[\w-]+)*)/.exec(r.err)?.[1];
    if (known === undefined) continue; // takes no flags (run): nothing to document
    for (const flag of known.split(', ')) assert.ok(c.usage.includes(flag), `${c.name}: ${flag} is accepted but not in its usage`);
  }
});

test('exit codes: 2 for usage errors with the usage line, 1 for runtime errors, 0 for success', () => inTmp(async (dir) => {
  const none = await captureMain([]);
  assert.equal(none.code, 2, 'no command: help and exit 2');
  assert.match(none.err, /usage: gan-segmenter <command>/);
  assert.equal((await captureMain(['frobnicate'])).code, 2, 'unknown command');
  const usage: Array<[string[], RegExp]> = [
    [['evaluate', '--pred', 'p', '--gtt', 'g'], /--gtt/],                           // unknown flag
    [['evaluate', '--gt', 'g'], /--pred/],                                          // missing required flag
    [['segment', 'imgs', '--model'], /--model/],                                    // flag without its value
    [['evaluate', '--pred', 'p', '--gt', 'g', '--protocol', 'nope'], /--protocol/], // bad flag value
    [['train-gan', 'train..steps=3'], /train\.\.steps/],                            // malformed key=value
    [['train-gan', 'train.steps=zero'], /train\.steps/],                            // key=value that does not decode
    [['run', 'method=no-such-method'], /method/],                                   // unknown method
    [['run', '--seed', '3'], /--seed/],                                             // run takes key=value only
  ];
  for (const [argv, re] of usage) {
    const r = await captureMain(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}\n${r.err}`);
    assert.match(r.err, re);
    const cmd = commands.find((c) => c.name === argv[0])!;
    assert.ok(r.err.includes(usageLine(cmd)), `${argv.join(' ')}: the usage line is repeated`);
    assert.equal(r.out, '', 'nothing on stdout');
  }
  const quietError = await captureMain(['-q', 'evaluate', '--pred', 'p', '--gtt', 'g']);
  assert.equal(quietError.code, 2);
  assert.match(quietError.err, /--gtt/, '--quiet keeps errors');
  const runtime: Array<[string[], RegExp]> = [
    [['train-gan', '--config', join(dir, 'missing.yaml')], /missing\.yaml/],               // a missing config file
    [['evaluate', '--pred', join(dir, 'nothing'), '--gt', join(dir, 'no-gt')], /no-gt/],   // a missing folder (DataError)
    [['segment', join(dir, 'no-images'), '--model', join(dir, 'no-model'), '--out', join(dir, 'o')], /no-model/], // missing weights
  ];
  for (const [argv, re] of runtime) {
    const r = await captureMain(argv);
    assert.equal(r.code, 1, `${argv.join(' ')}\n${r.err}`);
    assert.match(r.err, re);
    assert.doesNotMatch(r.err, /^usage:/m, 'a runtime error does not repeat the usage');
  }
  await writeShapes(join(dir, 'data'), new Rng('conv'), 3, { size: 16 });
  assert.equal((await captureMain(['baseline', '--method', 'center', '--data', join(dir, 'data'), '--out', join(dir, 'c')])).code, 0);
}));

test('--json: evaluate and baseline print exactly one JSON object on stdout (flag before or after the command)', () => inTmp(async (dir) => {
  await writeShapes(join(dir, 'data'), new Rng('json'), 3, { size: 16 });
  const b = await captureMain(['--json', 'baseline', '--method', 'otsu', '--data', join(dir, 'data'), '--out', join(dir, 'otsu')]);
  assert.equal(b.code, 0, b.err);
  assert.deepEqual(JSON.parse(b.out), { method: 'otsu', data: join(dir, 'data'), layout: null, out: join(dir, 'otsu'), masks: 3 });
  const e = await captureMain(['evaluate', '--pred', join(dir, 'otsu'), '--gt', join(dir, 'data/masks'), '--json']);
  assert.equal(e.code, 0, e.err);
  const j = JSON.parse(e.out) as { protocol: string; count: number; iou: number };
  assert.deepEqual([j.protocol, j.count, typeof j.iou], ['melas-kyriazi', 3, 'number']);
  const human = await captureMain(['baseline', '--method', 'otsu', '--data', join(dir, 'data'), '--out', join(dir, 'otsu')]);
  assert.equal(human.out.trim(), `wrote 3 otsu masks to ${join(dir, 'otsu')}`, 'without --json: the human line');
}));

test('--json from the real entry point: sample with the shipped generator; stdout is one JSON object and nothing else', () => inTmp(async (dir) => {
  const s = spawnCli(['sample', '--weights', 'assets/dcgan-shapes-32.safetensors', '--n', '2', '--out', join(dir, 's'), '--backend', 'cpu', '--json', '--npy']);
  assert.equal(s.code, 0, s.err);
  assert.deepEqual(JSON.parse(s.out), { out: join(dir, 's'), pngs: 2, imagesNpy: join(dir, 's', 'images.npy'), latentsNpy: join(dir, 's', 'z.npy') });
}));

test('progress bars only on a terminal without NO_COLOR and with TERM other than dumb; --quiet never draws', () => {
  assert.equal(canDrawBars({ TERM: 'xterm-256color' }, true), true);
  assert.equal(canDrawBars({}, false), false, 'not a terminal');
  assert.equal(canDrawBars({ NO_COLOR: '1' }, true), false, 'NO_COLOR set');
  assert.equal(canDrawBars({ NO_COLOR: '' }, true), true, 'NO_COLOR empty counts as unset (no-color.org)');
  assert.equal(canDrawBars({ TERM: 'dumb' }, true), false, 'TERM=dumb');
  assert.equal(cliOutput({ env: {}, isTTY: true }).bars, true);
  assert.equal(cliOutput({ env: {}, isTTY: true, quiet: true }).bars, false, '--quiet');
  assert.deepEqual(splitGlobalFlags(['-q', 'evaluate', '--pred', 'p', '--json']), { quiet: true, json: true, version: false, help: false, rest: ['evaluate', '--pred', 'p'] });
});

test('progressReporter without bars prints plain lines (no ESC); quiet prints none but keeps warnings', () => {
  const run = (quiet: boolean): string => {
    const error = console.error;
    let err = '';
    console.error = (...a: unknown[]) => { err += `${a.join(' ')}\n`; };
    try {
      const p = progressReporter('t', ['loss'], 1, cliOutput({ quiet, env: { NO_COLOR: '1' }, isTTY: true }));
      p.onEvent({ type: 'start', step: 0, totalSteps: 2 });
      p.onEvent({ type: 'step', step: 1, totalSteps: 2, secondsPerStep: 0.1, scalars: { loss: 0.5 } });
      p.onEvent({ type: 'skipped', step: 2, phase: 'D', count: 1 });
      p.onEvent({ type: 'end', step: 2, seconds: 0.2 });
      p.stop();
    } finally {
      console.error = error;
    }
    return err;
  };
  const loud = run(false);
  assert.match(loud, /t: step 1\/2 0\.10 s\/step ETA 0s loss 0\.5000/);
  assert.ok(!loud.includes(ESC), 'no escape characters');
  assert.equal(run(true), 't: step 2 skipped (non-finite in D; 1 so far)\n', 'quiet: only the warning');
});

test('train-gan from the real entry point: non-TTY stderr has progress lines and no ESC; --quiet leaves stderr without progress, the JSON result stays', () => inTmp(async (dir) => {
  const loud = spawnCli([...tinyGan(join(dir, 'a'))], { NO_COLOR: '', TERM: 'xterm-256color' });
  assert.equal(loud.code, 0, loud.err);
  assert.match(loud.err, /train-gan: step 2\/2/);
  assert.ok(!loud.err.includes(ESC) && !loud.out.includes(ESC), 'no terminal escapes without a TTY');
  assert.equal(JSON.parse(loud.out).step, 2);
  const quiet = await captureMain(['-q', ...tinyGan(join(dir, 'b')), '--json']);
  assert.equal(quiet.code, 0, quiet.err);
  assert.equal(quiet.err, '', '--quiet: nothing on stderr');
  assert.equal((JSON.parse(quiet.out) as { step: number }).step, 2);
}));

test('train-gan on a real terminal (a pty from util-linux `script`): a progress bar with escapes, none with NO_COLOR=1 or TERM=dumb', (t) => inTmp(async (dir) => {
  if (spawnSync('script', ['--version']).status !== 0) { t.skip('no `script` (util-linux) to make a pty'); return; }
  const onPty = (name: string, env: Record<string, string>): { code: number | null; text: string } => {
    const cmd = [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...tinyGan(join(dir, name))].join(' ');
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, GAN_SEGMENTER_BACKEND: 'cpu', NO_COLOR: '', TERM: 'xterm-256color', ...env }, timeout: 240_000 });
    return { code: r.status, text: r.stdout };
  };
  const bar = onPty('bar', {});
  assert.equal(bar.code, 0, bar.text);
  assert.ok(bar.text.includes(ESC), 'a terminal gets the progress bar (this is what proves the pty works)');
  for (const [name, env] of [['no-color', { NO_COLOR: '1' }], ['dumb', { TERM: 'dumb' }]] as const) {
    const r = onPty(name, env);
    assert.equal(r.code, 0, r.text);
    assert.ok(!r.text.includes(ESC), `${name}: no escape characters\n${JSON.stringify(r.text.slice(0, 400))}`);
    assert.match(r.text, /train-gan: step 2\/2/, `${name}: plain progress lines instead`);
  }
}));

test('docs/guides/cli.md and the method pages\' defaults blocks equal a fresh generation (node --import tsx tools/gen-cli-docs.ts)', () => {
  const files = generatedDocs();
  assert.ok(files.has('docs/guides/cli.md'));
  for (const c of commands) assert.ok(files.get('docs/guides/cli.md')!.includes(`## ${c.name}\n`), `${c.name} is in the CLI reference`);
  assert.ok([...files.keys()].some((f) => f.startsWith('docs/guides/methods/')), 'the method pages have generated defaults blocks');
  assert.deepEqual(staleDocs(), [], 'stale generated docs: run `node --import tsx tools/gen-cli-docs.ts` and commit the result');
});
