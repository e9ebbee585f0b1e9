/**
 * Synthetic (image, mask) sets on disk: PNG images and masks in shards, with a
 * `manifest.json` updated atomically after each shard, so a killed run resumes
 * at the first missing shard and produces exactly the files an uninterrupted
 * run would (each shard draws from its own forked `Rng`).
 *
 * Layout: `dir/shard-00000/000000.png`, `dir/shard-00000/000000_mask.png`, …
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'fast-png';
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng.ts';
import { DataError } from '../core/errors.ts';
import type { Json, MaskSourceArtifact } from './types.ts';

/** One finished shard. */
export interface ShardEntry {
  /** Shard index. */
  readonly index: number;
  /** Directory name relative to the set. */
  readonly dir: string;
  /** Pairs in the shard. */
  readonly count: number;
}

/** `manifest.json` of a synthetic set. */
export interface SyntheticManifest {
  /** Format version (1). */
  readonly version: 1;
  /** Total pairs asked for. */
  readonly count: number;
  /** Pairs per shard. */
  readonly shardSize: number;
  /** Seed label of the run (a resume must use the same). */
  readonly seed: string;
  /** Generator id. */
  readonly generatorId: string;
  /** Image side. */
  readonly resolution: number;
  /** Finished shards, in order. */
  readonly shards: readonly ShardEntry[];
  /** All shards written. */
  readonly complete: boolean;
  /** The source's record. */
  readonly source: Json;
}

/** Options of {@link writeSyntheticSet}. */
export interface WriteSyntheticOptions {
  /** Total pairs. */
  readonly count: number;
  /** Pairs per shard. Default 256. */
  readonly shardSize?: number;
  /** Called after each shard. */
  readonly onShard?: (done: number, total: number) => void;
}

const writeAtomic = (path: string, data: string | Uint8Array): void => {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
};

/** [H,W,C] floats in [-1,1] (images) or [0,1] (masks) → PNG bytes. */
const toPng = (data: Float32Array | Int32Array | Uint8Array, h: number, w: number, channels: 1 | 3, range: 'signed' | 'unit'): Uint8Array => {
  const px = new Uint8Array(h * w * channels);
  for (let i = 0; i < px.length; i++) {
    const v = range === 'signed' ? ((data[i] as number) + 1) * 127.5 : (data[i] as number) * 255;
    px[i] = Math.max(0, Math.min(255, Math.round(v)));
  }
  return encode({ width: w, height: h, data: px, channels, depth: 8 });
};

/**
 * Write `count` pairs from a mask source into `dir` (resuming if a manifest is there).
 *
 * @example
 * ```ts
 * const manifest = await writeSyntheticSet(source, 'out/synthetic', new Rng(0), { count: 5000, shardSize: 500 });
 * ```
 */
export const writeSyntheticSet = async (src: MaskSourceArtifact, dir: string, rng: Rng, opts: WriteSyntheticOptions): Promise<SyntheticManifest> => {
  const shardSize = opts.shardSize ?? 256;
  const manifestPath = join(dir, 'manifest.json');
  mkdirSync(dir, { recursive: true });
  let manifest: SyntheticManifest = {
    version: 1, count: opts.count, shardSize, seed: rng.seed, generatorId: src.sourceId, resolution: src.resolution, shards: [], complete: false, source: src.record,
  };
  if (existsSync(manifestPath)) {
    const old = JSON.parse(readFileSync(manifestPath, 'utf8')) as SyntheticManifest;
    for (const k of ['count', 'shardSize', 'seed', 'generatorId'] as const) {
      if (old[k] !== manifest[k]) throw new DataError(`writeSyntheticSet(${dir})`, `cannot resume: manifest has ${k}=${JSON.stringify(old[k])}, this run ${JSON.stringify(manifest[k])}`);
    }
    manifest = old;
  }
  const nShards = Math.ceil(opts.count / shardSize);
  for (let s = manifest.shards.length; s < nShards; s++) {
    const n = Math.min(shardSize, opts.count - s * shardSize);
    const shardDir = `shard-${String(s).padStart(5, '0')}`;
    mkdirSync(join(dir, shardDir), { recursive: true });
    const shardRng = rng.fork(`shard-${s}`);
    for (let done = 0; done < n;) {
      const k = Math.min(32, n - done);
      const { images, masks } = src.sample(k, shardRng);
      const [, h, w] = images.shape;
      const im = images.dataSync(), ma = masks.dataSync();
      for (let i = 0; i < k; i++) {
        const name = String(s * shardSize + done + i).padStart(6, '0');
        writeAtomic(join(dir, shardDir, `${name}.png`), toPng(im.subarray(i * h * w * 3, (i + 1) * h * w * 3), h, w, 3, 'signed'));
        writeAtomic(join(dir, shardDir, `${name}_mask.png`), toPng(ma.subarray(i * h * w, (i + 1) * h * w), h, w, 1, 'unit'));
      }
      tf.dispose([images, masks]);
      done += k;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    manifest = { ...manifest, shards: [...manifest.shards, { index: s, dir: shardDir, count: n }], complete: s + 1 === nShards, source: src.record };
    writeAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    opts.onShard?.(s + 1, nShards);
  }
  if (!manifest.complete) {
    manifest = { ...manifest, complete: true };
    writeAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  }
  return manifest;
};
