// benchmark gan.weights: a generator file instead of the DCGAN (e.g. a StyleGAN2 for labels4free).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/init.ts';
import { runBenchmark } from '../../src/pipeline/benchmark.ts';
import { HORSE_FIXTURE } from '../shared-data.ts';

const G = 'test/fixtures/stylegan2/tiny-rosinality.pt'; // rosinality StyleGAN2, 16²

const inTmp = async (f: (dir: string) => Promise<void>): Promise<void> => {
  await initBackend({ backend: 'wasm', ignoreEnv: true });
  const dir = mkdtempSync(join(tmpdir(), 'bench-weights-'));
  try {
    // The three fixture photos under a name with no shipped split: a new seeded split (1 validation, 2 test).
    cpSync(HORSE_FIXTURE, join(dir, 'mini'), { recursive: true });
    await f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const tiny = (dir: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  dataset: join(dir, 'mini'), validation: 1, out: join(dir, 'out'), methods: ['labels4free'], resolution: 16,
  gan: { weights: G }, data: { count: 8 }, unet: { width: 4, depth: 2, steps: 2, batchSize: 2 },
  segment: { flip: false }, refine: { method: 'none' }, selftrain: { rounds: 0 }, grid: 1,
  labels4free: { iterations: 2, batchSize: 2, dRegEvery: 2, checkpointEvery: 2 },
  ...extra,
});

test('benchmark gan.weights: labels4free runs on the given StyleGAN2 (no DCGAN trained), the report names the file; a side other than resolution is a failed row that says which resolution to set', () => inTmp(async (dir) => {
  const { result } = await runBenchmark(tiny(dir));
  const row = result.rows.find((r) => r.name === 'labels4free');
  assert.ok(row, result.rows.map((r) => r.name).join(', '));
  assert.equal(row.error, undefined, row.error);
  assert.equal(row.test.n, 2);
  assert.ok(row.test.iou >= 0 && row.test.iou <= 1, String(row.test.iou));
  assert.match(result.notes[0]!, /loaded from test\/fixtures\/stylegan2\/tiny-rosinality\.pt/);
  assert.doesNotMatch(result.notes[0]!, /DCGAN/);

  const { result: wrong } = await runBenchmark(tiny(dir, { out: join(dir, 'out32'), resolution: 32 }));
  const bad = wrong.rows.find((r) => r.name === 'labels4free');
  assert.ok(bad?.error !== undefined && /resolution=16/.test(bad.error), String(bad?.error));
}));

test('benchmark gan.weights naming a missing file fails before any work, naming the file', () => inTmp(async (dir) => {
  await assert.rejects(runBenchmark(tiny(dir, { gan: { weights: join(dir, 'nope.pt') } })), /nope\.pt/);
}));
