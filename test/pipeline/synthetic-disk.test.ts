import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { PAPER_CONFIG } from '../../src/methods/latent-direction/config.ts';
import { LatentDirection } from '../../src/methods/latent-direction/model.ts';
import { directionMaskSource } from '../../src/methods/latent-direction/method.ts';
import { writeSyntheticSet, type SyntheticManifest } from '../../src/pipeline/synthetic-disk.ts';
import { TinyLinearGenerator } from '../methods/latent-direction/tiny-generator.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

test('writeSyntheticSet 10 pairs in shards of 4: PNGs + manifest; a resumed run writes identical files', async () => {
  const g = new TinyLinearGenerator();
  const src = directionMaskSource(g, LatentDirection.fromVectors(g, [1, 0, 0, 0, 0, 0, 0, 0], { variant: 'single', space: 'z', maskRadius: 5 }), PAPER_CONFIG);
  const dir = mkdtempSync(join(tmpdir(), 'synth-'));
  try {
    const m = await writeSyntheticSet(src, dir, new Rng(7), { count: 10, shardSize: 4 });
    assert.equal(m.complete, true);
    assert.deepEqual(m.shards.map((s) => s.count), [4, 4, 2]);
    const mask = decode(readFileSync(join(dir, 'shard-00002', '000009_mask.png')));
    assert.equal(mask.width, 16);
    assert.deepEqual(Array.from(mask.data as Uint8Array).map((v) => v / 255), Array.from(g.disc));
    const before = readFileSync(join(dir, 'shard-00002', '000008.png'));
    // Simulate a run killed after shard 1: drop shard 2 from the manifest and its files.
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as SyntheticManifest;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, shards: manifest.shards.slice(0, 2), complete: false }));
    rmSync(join(dir, 'shard-00002'), { recursive: true });
    const resumed = await writeSyntheticSet(src, dir, new Rng(7), { count: 10, shardSize: 4 });
    assert.equal(resumed.complete, true);
    assert.ok(existsSync(join(dir, 'shard-00002', '000008.png')));
    assert.deepEqual(readFileSync(join(dir, 'shard-00002', '000008.png')), before);
    await assert.rejects(writeSyntheticSet(src, dir, new Rng(8), { count: 10, shardSize: 4 }), /cannot resume: manifest has seed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    src.dispose(); g.dispose();
  }
});
