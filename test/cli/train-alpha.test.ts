import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { captureMain } from '../capture-cli.ts';
import { Rng } from '../../src/core/rng.ts';
import { writePng } from '../../src/io/image-file.ts';
import { readImage } from '../../src/io/image-file.ts';
import { readSafetensors } from '../../src/io/safetensors-file.ts';

const G = 'test/fixtures/stylegan2/tiny-rosinality.pt'; // 16², 4 StyledConvs from 8×8

const inTmp = async (f: (dir: string) => Promise<void>): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-train-alpha-'));
  const prev = process.env.GAN_SEGMENTER_BACKEND;
  process.env.GAN_SEGMENTER_BACKEND = 'wasm';
  try {
    const photos = join(dir, 'photos');
    mkdirSync(photos);
    const rng = new Rng('photos');
    for (let i = 0; i < 4; i++) writePng(join(photos, `p${i}.png`), { width: 20, height: 18, channels: 3, data: Float32Array.from({ length: 20 * 18 * 3 }, () => rng.uniform()) });
    await f(dir);
  } finally {
    if (prev === undefined) delete process.env.GAN_SEGMENTER_BACKEND; else process.env.GAN_SEGMENTER_BACKEND = prev;
    rmSync(dir, { recursive: true, force: true });
  }
};

const TINY = ['labels4free.batchSize=2', 'labels4free.dRegEvery=2', 'labels4free.checkpointEvery=2', 'labels4free.logEvery=1', 'sampleEvery=2', 'samples=3'];
const alphaNet = (out: string) => readSafetensors(join(out, 'alpha-net.safetensors')).tensors;


test('train-alpha on tiny-rosinality 16², 4 steps: exit 0, alpha net with official keys, grids fg/bg/α/composite every 2 steps and at the end; resume 2 → 4 gives the same bytes', () => inTmp(async (dir) => {
  const full = join(dir, 'full'), half = join(dir, 'half');
  const args = ['--generator', G, '--data', join(dir, 'photos'), ...TINY];
  assert.equal(await main(['train-alpha', ...args, `out=${full}`, 'labels4free.iterations=4']), 0);
  const sd = alphaNet(full);
  assert.ok(sd.has('conv1.weight') && sd.has('conv_n.bias'), [...sd.keys()].join(','));
  assert.deepEqual(readdirSync(join(full, 'samples')).sort(), ['step-00000002.png', 'step-00000004.png']);
  const grid = readImage(join(full, 'alpha.png'));
  assert.ok(grid.height >= 4 * 16 && grid.width >= 3 * 16, `4 rows of 3 16² tiles: ${grid.width}×${grid.height}`);
  assert.ok(existsSync(join(full, 'checkpoints')) && existsSync(join(full, 'train-alpha.json')));

  assert.equal(await main(['train-alpha', ...args, `out=${half}`, 'labels4free.iterations=2']), 0);
  assert.equal(await main(['train-alpha', '--resume', half, 'labels4free.iterations=4']), 0);
  const a = alphaNet(full), b = alphaNet(half);
  for (const [k, v] of a) assert.deepEqual(Array.from(b.get(k)!.data as Float32Array), Array.from(v.data as Float32Array), `${k} identical after resume`);
}));

test('train-alpha labels4free.useDiscriminator=true starts D from the .pt (--use_disc): exit 0', () => inTmp(async (dir) => {
  const out = join(dir, 'out');
  assert.equal(await main(['train-alpha', '--generator', G, '--data', join(dir, 'photos'), ...TINY, `out=${out}`, 'labels4free.iterations=1', 'labels4free.useDiscriminator=true']), 0);
  assert.ok(existsSync(join(out, 'alpha-net.safetensors')));
}));

test('train-alpha bad arguments exit 2 (a missing run folder 1) with a message naming the problem', () => inTmp(async (dir) => {
  const data = join(dir, 'photos');
  const cases: Array<[string[], RegExp, number]> = [
    [['--generatr', G, '--data', data], /--generatr/, 2],
    [['--data', data], /--generator/, 2],
    [['--generator', G], /--data/, 2],
    [['--generator', G, '--data', data, '--preset', 'lsun-dog'], /--preset.*lsun-horse-paper/s, 2],
    [['--generator', G, '--data', data, 'labels4free.lr=-1'], /labels4free\.lr/, 2],
    [['--resume', join(dir, 'nothing')], /--resume/, 1],
  ];
  for (const [argv, re, want] of cases) {
    const { code, err: text } = await captureMain(['train-alpha', ...argv]);
    assert.equal(code, want, argv.join(' '));
    assert.match(text, re);
  }
}));
