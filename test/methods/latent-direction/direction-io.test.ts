import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../../src/backend/init.ts';
import { WeightsError } from '../../../src/core/errors.ts';
import { LatentDirection } from '../../../src/methods/latent-direction/model.ts';
import { saveDirection, loadDirection, readLatentsNpy } from '../../../src/methods/latent-direction/direction-file.ts';
import { writeNpy } from '../../../src/io/npy-file.ts';
import { serializeSafetensors } from '../../../src/io/safetensors.ts';
import { TinyLinearGenerator } from './tiny-generator.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

test('direction save/load round-trips (dual, metadata) and refuses another generator', () => {
  const g = new TinyLinearGenerator();
  const dir = mkdtempSync(join(tmpdir(), 'dir-'));
  try {
    const d = LatentDirection.fromVectors(g, [3, 4, 0, 0, 0, 0, 0, 0], { variant: 'dual', space: 'z', maskRadius: 5 }, [0, 0, 1, 0, 0, 0, 0, 0]);
    const path = join(dir, 'sub', 'direction.safetensors');
    saveDirection(path, d);
    const back = loadDirection(path, g);
    assert.deepEqual(Array.from(back.vector.dataSync()).map((v) => +v.toFixed(6)), [0.6, 0.8, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(back.darkVector?.dataSync() ?? []), [0, 0, 1, 0, 0, 0, 0, 0]);
    assert.deepEqual(back.info, d.info);
    const other = new TinyLinearGenerator({ id: 'other-gan' });
    assert.throws(() => loadDirection(path, other), (e: unknown) => e instanceof WeightsError && /made for generator 'tiny-linear-8-16', refusing generator 'other-gan'/.test(e.message));
    const bogus = join(dir, 'bogus.safetensors');
    writeFileSync(bogus, serializeSafetensors(new Map([['x', { dtype: 'float32', shape: [1], data: new Float32Array([1]) }]])));
    assert.throws(() => loadDirection(bogus, g), /not a latent direction file/);
    d.dispose(); back.dispose(); other.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    g.dispose();
  }
});

test('readLatentsNpy reads [N,D] embeddings and rejects a wrong latent size', () => {
  const g = new TinyLinearGenerator();
  const dir = mkdtempSync(join(tmpdir(), 'npy-'));
  try {
    writeNpy(join(dir, 'z.npy'), { dtype: '<f8', shape: [2, 8], data: Float64Array.from({ length: 16 }, (_, i) => i / 4) });
    const b = readLatentsNpy(join(dir, 'z.npy'), g);
    assert.deepEqual(b.latents.shape, [2, 8]);
    assert.equal(b.latents.dataSync()[5], 1.25);
    b.latents.dispose();
    writeNpy(join(dir, 'bad.npy'), { dtype: '<f4', shape: [2, 3], data: new Float32Array(6) });
    assert.throws(() => readLatentsNpy(join(dir, 'bad.npy'), g), /expected latents \[N, 8\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    g.dispose();
  }
});
