import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { main } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/cli/config.ts';
import { TrainSegmenterCliConfig, trainSegmenterCliDefaults } from '../../src/cli/commands/train-segmenter.ts';
import { loadLatestCheckpoint } from '../../src/train/checkpoint.ts';

const decode = (overrides: string[]) => loadConfig(TrainSegmenterCliConfig, undefined, overrides, trainSegmenterCliDefaults);

test('train-segmenter config: augment list and its settings decode from key=value; defaults leave them out (flip only); bad values are ConfigErrors naming the field', () => {
  const d = decode([]);
  assert.ok(E.isRight(d));
  assert.equal(d.right.train.augment, undefined); // trainer default ['flip']: existing configs unchanged
  const r = decode(['train.augment=[flip, crop, color]', 'train.cropScale=[0.6, 1]', 'train.cropRatio=[0.8, 1.25]', 'train.colorJitter=0.3']);
  assert.ok(E.isRight(r));
  assert.deepEqual(r.right.train.augment, ['flip', 'crop', 'color']);
  assert.deepEqual(r.right.train.cropScale, [0.6, 1]);
  assert.deepEqual(r.right.train.cropRatio, [0.8, 1.25]);
  assert.equal(r.right.train.colorJitter, 0.3);
  for (const [bad, field] of [['train.augment=[rotate]', 'augment'], ['train.cropScale=[0.9, 0.5]', 'cropScale'], ['train.cropScale=[0, 1]', 'cropScale'],
    ['train.cropRatio=[2]', 'cropRatio'], ['train.colorJitter=1.5', 'colorJitter']] as const) {
    const e = decode([bad]);
    assert.ok(E.isLeft(e), bad);
    assert.ok(e.left.message.includes(field), `${bad}: ${e.left.message}`);
  }
});

test('train-segmenter with train.augment=[flip,crop,color]: 1 step, stored in the checkpoint, --resume continues with it', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-seg-aug-'));
  const log = console.log, err = console.error;
  let stdout = '';
  console.log = (s: unknown) => { stdout += `${String(s)}\n`; };
  console.error = () => {};
  try {
    const code = await main(['train-segmenter', `out=${out}`, 'backend=cpu', 'resolution=16', 'model.width=4', 'model.depth=2', 'data.count=4', 'validation=null',
      'train.steps=1', 'train.batchSize=2', 'train.checkpointEvery=1', 'train.augment=[flip,crop,color]', 'train.colorJitter=0.3']);
    assert.equal(code, 0);
    const ck = loadLatestCheckpoint(path.join(out, 'checkpoints'))!;
    const train = (ck.meta as { config: { train: Record<string, unknown> } }).config.train;
    assert.deepEqual(train['augment'], ['flip', 'crop', 'color']);
    assert.equal(train['colorJitter'], 0.3);
    assert.equal(await main(['train-segmenter', '--resume', out, 'train.steps=2']), 0);
    assert.equal(JSON.parse(stdout.trim().split('\n').pop()!).step, 2);
  } finally {
    console.log = log; console.error = err;
    fs.rmSync(out, { recursive: true });
  }
});
