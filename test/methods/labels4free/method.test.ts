import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../../src/backend/init.ts';
import { ConfigError } from '../../../src/core/errors.ts';
import { readSafetensors } from '../../../src/io/safetensors-file.ts';
import { runMethodPipeline } from '../../../src/pipeline/run.ts';

before(async () => { await initBackend({ backend: 'wasm', ignoreEnv: true }); });

const inTmp = async (f: (dir: string) => Promise<void>): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'l4f-run-'));
  try { await f(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
};

const TINY = {
  resolution: 16, train: { count: 8 }, data: { count: 8 }, unet: { width: 4, depth: 2, steps: 2, batchSize: 4 }, eval: { count: 4 },
  labels4free: { iterations: 2, batchSize: 2, dRegEvery: 2, checkpointEvery: 2, maskThreshold: 0.5 },
};

test('runMethodPipeline method=labels4free on tiny-rosinality 16²: report, alpha-net safetensors with official keys, grid', () => inTmp(async (dir) => {
  const stages: string[] = [];
  const r = await runMethodPipeline({ ...TINY, method: 'labels4free', gan: { weights: 'test/fixtures/stylegan2/tiny-rosinality.pt' }, out: dir },
    { onEvent: (e) => { if (e.type === 'stage-progress') stages.push(e.stage); } });
  assert.ok(stages.includes('train-alpha'));
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { records: { 'train-alpha': { steps: number; method: string } } };
  assert.equal(report.records['train-alpha'].steps, 2);
  assert.ok(r.metrics.iou !== undefined && r.metrics.iou >= 0 && r.metrics.iou <= 1);
  const sd = readSafetensors(join(dir, 'alpha-net.safetensors'));
  assert.ok(sd.tensors.has('conv1.weight') && sd.tensors.has('conv_n.bias'));
  assert.ok(existsSync(join(dir, 'labels4free.png')));
  assert.ok(existsSync(join(dir, 'labels4free')), 'checkpoints under out/labels4free');
}));

test('runMethodPipeline method=labels4free with a DCGAN generator: ConfigError naming the family', () => inTmp(async (dir) => {
  await assert.rejects(runMethodPipeline({ ...TINY, method: 'labels4free', gan: { steps: 1, batchSize: 4, width: 4 }, out: dir }),
    (e: unknown) => e instanceof ConfigError && /StyleGAN2/.test(e.message) && /DCGAN/i.test(e.message));
}));
