import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { WeightsError } from '../../../src/core/errors.ts';
import { loadTorchCheckpoint, readTorchCheckpoint, tryLoadTorchCheckpoint } from '../../../src/io/torch/index.ts';
import { unpickle } from '../../../src/io/torch/pickle.ts';
import type { StateDict } from '../../../src/io/state-dict.ts';

const DIR = 'test/fixtures/torch';
interface Expected { dtype: string; shape: number[]; values: number[] }
const expected = JSON.parse(readFileSync(`${DIR}/expected.json`, 'utf8')) as Record<string, Record<string, Expected>>;

const matches = (sd: StateDict, exp: Record<string, Expected>): void => {
  assert.deepEqual([...sd.keys()], Object.keys(exp));
  for (const [k, e] of Object.entries(exp)) {
    const t = sd.get(k)!;
    assert.equal(t.dtype, e.dtype, k);
    assert.deepEqual(t.shape, e.shape, k);
    assert.equal(t.data.length, e.values.length, k);
    const tol = t.dtype === 'float64' ? 1e-7 : 0; // float64 is narrowed to float32
    for (let i = 0; i < e.values.length; i++) {
      assert.ok(Math.abs(Number(t.data[i]) - e.values[i]!) <= tol * Math.abs(e.values[i]!) + (tol ? 1e-9 : 0), `${k}[${i}]: ${t.data[i]} vs ${e.values[i]}`);
    }
  }
};

test('unpickle BININT1 / tuple / dict opcodes', () => {
  // pickle.dumps({'a': (1, 2.5)}, protocol=2)
  const b = Uint8Array.from([0x80, 2, 0x7d, 0x71, 0, 0x58, 1, 0, 0, 0, 0x61, 0x71, 1, 0x4b, 1, 0x47, 0x40, 4, 0, 0, 0, 0, 0, 0, 0x86, 0x71, 2, 0x73, 0x2e]);
  const v = unpickle(b).value as Map<string, unknown>;
  assert.deepEqual(v.get('a'), [1, 2.5]);
});

test('rosinality-like dict: select g_ema and d, skip argparse.Namespace and optimizer', () => {
  matches(loadTorchCheckpoint(`${DIR}/rosinality.pt`, { key: 'g_ema' }), expected['rosinality.pt:g_ema']!);
  matches(loadTorchCheckpoint(`${DIR}/rosinality.pt`, { key: 'd' }), expected['rosinality.pt:d']!);
  const all = loadTorchCheckpoint(`${DIR}/rosinality.pt`);
  assert.ok(all.has('g_ema.conv.weight') && all.has('g_optim.state.0.exp_avg'));
  assert.ok(![...all.keys()].some((k) => k.startsWith('args')));
});

test('missing key lists the available ones', () => {
  assert.throws(() => loadTorchCheckpoint(`${DIR}/rosinality.pt`, { key: 'nope' }), (e: unknown) => e instanceof WeightsError && /g_ema/.test(e.message) && /rosinality\.pt/.test(e.message));
});

test('flat pytorch_model.bin: fp16, transposed, offset view, int64 (incl. > 2^31), float64, scalar', () => {
  const sd = loadTorchCheckpoint(`${DIR}/flat.bin`);
  matches(sd, expected['flat.bin']!);
  assert.ok(sd.get('index.buffer')!.data instanceof Float64Array);
  assert.ok(sd.get('bn.num_batches_tracked')!.data instanceof Int32Array);
});

test('legacy (non-zip) torch.save format', () => {
  matches(loadTorchCheckpoint(`${DIR}/legacy.pt`), expected['legacy.pt']!);
});

test('plain pickle of modules (NVlabs-style network pickle) → module state dict', () => {
  matches(loadTorchCheckpoint(`${DIR}/network.pkl`, { key: 'G_ema' }), expected['network.pkl:G_ema']!);
});

test('NVlabs persistence pickle (_reconstruct_persistent_obj with embedded class source) → G_ema state dict', () => {
  const sd = loadTorchCheckpoint(`${DIR}/nvlabs.pkl`, { key: 'G_ema' });
  matches(sd, expected['nvlabs.pkl:G_ema']!);
  assert.deepEqual([...sd.keys()], ['mapping.w_avg', 'mapping.fc0.weight', 'mapping.fc0.bias']);
});

test('truncated and corrupt files are WeightsErrors naming the file', () => {
  assert.throws(() => loadTorchCheckpoint(`${DIR}/truncated.bin`), (e: unknown) => e instanceof WeightsError && e.message.includes('truncated.bin'));
  const full = readFileSync(`${DIR}/flat.bin`);
  for (const cut of [10, 100, 500, 1000, 2000, full.length - 30]) {
    assert.throws(() => readTorchCheckpoint(full.subarray(0, cut), { where: 'x.bin' }), WeightsError, `cut ${cut}`);
  }
  const legacy = readFileSync(`${DIR}/legacy.pt`);
  for (let cut = 1; cut < legacy.length; cut += 37) {
    assert.throws(() => readTorchCheckpoint(legacy.subarray(0, cut), { where: 'l.pt' }), WeightsError, `legacy cut ${cut}`);
  }
  const garbage = Uint8Array.from(full);
  for (let i = 40; i < garbage.length; i += 7) garbage[i] = (garbage[i]! * 31 + 7) & 0xff;
  assert.throws(() => readTorchCheckpoint(garbage, { where: 'g.bin' }), WeightsError);
  assert.throws(() => readTorchCheckpoint(new TextEncoder().encode('hello'), { where: 'h.bin' }), /not a PyTorch checkpoint/);
  const r = tryLoadTorchCheckpoint(`${DIR}/does-not-exist.pt`);
  assert.ok(r._tag === 'Left' && r.left instanceof WeightsError);
});

test('single-byte corruption anywhere: parses or throws WeightsError, never anything else', () => {
  for (const file of ['flat.bin', 'legacy.pt', 'network.pkl']) {
    const good = readFileSync(`${DIR}/${file}`);
    for (let i = 0; i < good.length; i += 3) {
      const bad = Uint8Array.from(good);
      bad[i] = bad[i]! ^ 0x5a;
      try {
        readTorchCheckpoint(bad, { where: file });
      } catch (e) {
        assert.ok(e instanceof WeightsError, `${file} byte ${i}: ${String(e)}`);
      }
    }
  }
});
