import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { createDCGANGenerator, dcganSmall32 } from '../../src/models/dcgan/index.ts';
import { writeSafetensors } from '../../src/io/safetensors-file.ts';
import { main } from '../../src/cli/main.ts';
import { loadDirection } from '../../src/methods/latent-direction/direction-file.ts';
import { loadGeneratorFile } from '../../src/pipeline/generators.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

const tinyDcgan = { ...dcganSmall32, resolution: 16, latentDim: 8, width: 4, dWidth: 4 };

test('CLI find-direction then generate: direction file bound to the generator, PNG shards + manifest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-fd-'));
  const prev = process.env.GAN_SEGMENTER_BACKEND;
  process.env.GAN_SEGMENTER_BACKEND = 'cpu';
  try {
    const g = createDCGANGenerator(tinyDcgan, new Rng(0));
    const gPath = join(dir, 'g.safetensors');
    writeSafetensors(gPath, g.stateDict(), { model: 'dcgan', config: JSON.stringify(tinyDcgan) });
    g.dispose();
    const dPath = join(dir, 'd.safetensors');
    assert.equal(await main(['find-direction', '--generator', gPath, '--out', dPath, 'iterations=3', 'batchSize=4']), 0);
    const g2 = loadGeneratorFile(gPath);
    assert.match(g2.id, /^dcgan:g\.safetensors:[0-9a-f]{8}$/);
    const d = loadDirection(dPath, g2);
    assert.equal(d.vector.shape[0], 8);
    d.dispose(); g2.dispose();
    const out = join(dir, 'synthetic');
    assert.equal(await main(['generate', '--generator', gPath, '--direction', dPath, '--out', out, '--count', '5', '--shard-size', '2', 'filters.sizeRange=null', 'filters.histogramBins=0']), 0);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { complete: boolean; shards: unknown[] };
    assert.equal(m.complete, true);
    assert.equal(m.shards.length, 3);
    assert.ok(existsSync(join(out, 'shard-00002', '000004_mask.png')));
    assert.equal(await main(['find-direction', '--out', dPath]), 2, 'missing --generator is a usage error');
    assert.equal(await main(['find-direction', '--generator', gPath, '--out', dPath, 'iterations=0']), 2, 'bad config is a usage error');
  } finally {
    if (prev === undefined) delete process.env.GAN_SEGMENTER_BACKEND; else process.env.GAN_SEGMENTER_BACKEND = prev;
    rmSync(dir, { recursive: true, force: true });
  }
});
