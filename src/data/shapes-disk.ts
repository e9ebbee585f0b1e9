/**
 * Write the `shapes` benchmark to disk in the generic `images/` + `masks/`
 * layout (PNG, `000000.png` …), readable back with `SegmentationFolder` or
 * `openBenchmark('generic', dir)`.
 *
 * @module
 */
import { join } from 'node:path';
import type { Rng } from '../core/rng.ts';
import { writePng } from '../io/image-file.ts';
import { shapesDataset, type ShapesOptions } from './shapes.ts';

/**
 * Write `count` shapes samples under `dir/images` and `dir/masks` (files written
 * atomically; an existing file is overwritten with identical content, so a rerun
 * after an interruption gives the same set).
 *
 * @example
 * ```ts
 * await writeShapes('data/shapes-test', new Rng('test'), 200, { size: 64 });
 * ```
 */
export const writeShapes = async (dir: string, rng: Rng, count: number, options: ShapesOptions = {}): Promise<void> => {
  const ds = shapesDataset(rng, count, options);
  for (let i = 0; i < count; i++) {
    const s = await ds.get(i);
    writePng(join(dir, 'images', `${s.id}.png`), s.image);
    writePng(join(dir, 'masks', `${s.id}.png`), s.mask);
  }
};
