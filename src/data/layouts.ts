/**
 * Ready-made folder layouts of the benchmarks the seed papers evaluate on,
 * as laid out by lukemelas/unsupervised-image-segmentation
 * (`src/config/segment.yaml`, `src/datasets/real_dataset.py`), plus the
 * generic `images/` + `masks/` layout (e.g. the Weizmann horses).
 *
 * @module
 */
import { join } from 'node:path';
import { DataError } from '../core/errors.ts';
import { SegmentationFolder, type SegmentationFolderOptions } from './folder.ts';

/**
 * A benchmark's folders and evaluation rules.
 *
 * @example
 * ```ts
 * const layout: BenchmarkLayout = BENCHMARK_LAYOUTS['CUB_200_2011/test'];
 * layout.centerCrop; // true
 * ```
 */
export interface BenchmarkLayout {
  /** Images folder, relative to the data root. */
  readonly images: string;
  /** Masks folder, relative to the data root. */
  readonly masks: string;
  /** Whether the melas-kyriazi evaluation centre-crops to a square before resizing (CUB and Flowers only). */
  readonly centerCrop: boolean;
  /** How masks become binary. */
  readonly maskRule: string;
}

const threshold = 'foreground = first channel > 0.5 (values / 255), as `(ToTensor(mask.convert("RGB")) > 0.5)[0]`';

/**
 * A name of {@link BENCHMARK_LAYOUTS}.
 *
 * @example
 * ```ts
 * const name: BenchmarkName = 'DUTS-TE';
 * const duts = openBenchmark(name, '/data/seg');
 * ```
 */
export type BenchmarkName =
  | 'CUB_200_2011/train' | 'CUB_200_2011/test' | 'Flowers/train' | 'Flowers/test'
  | 'DUT_OMRON' | 'DUTS-TE' | 'DUTS-TR' | 'ECSSD' | 'generic';

/**
 * The known layouts, keyed by name.
 *
 * @example
 * ```ts
 * BENCHMARK_LAYOUTS['DUTS-TE'].masks; // 'DUTS/DUTS-TE/DUTS-TE-Mask'
 * ```
 */
export const BENCHMARK_LAYOUTS: Readonly<Record<BenchmarkName, BenchmarkLayout>> = {
  'CUB_200_2011/train': { images: 'CUB_200_2011/train_images', masks: 'CUB_200_2011/train_segmentations', centerCrop: true,
    maskRule: `${threshold}; CUB masks are soft (averaged annotator masks, 0–255), so > 0.5 keeps pixels most annotators marked` },
  'CUB_200_2011/test': { images: 'CUB_200_2011/test_images', masks: 'CUB_200_2011/test_segmentations', centerCrop: true,
    maskRule: `${threshold}; CUB masks are soft (averaged annotator masks, 0–255), so > 0.5 keeps pixels most annotators marked` },
  'Flowers/train': { images: 'Flowers/train_images', masks: 'Flowers/train_segmentations', centerCrop: true, maskRule: threshold },
  'Flowers/test': { images: 'Flowers/test_images', masks: 'Flowers/test_segmentations', centerCrop: true, maskRule: threshold },
  DUT_OMRON: { images: 'DUT_OMRON/DUT-OMRON-image', masks: 'DUT_OMRON/pixelwiseGT-new-PNG', centerCrop: false, maskRule: threshold },
  'DUTS-TE': { images: 'DUTS/DUTS-TE/DUTS-TE-Image', masks: 'DUTS/DUTS-TE/DUTS-TE-Mask', centerCrop: false, maskRule: threshold },
  'DUTS-TR': { images: 'DUTS/DUTS-TR/DUTS-TR-Image', masks: 'DUTS/DUTS-TR/DUTS-TR-Mask', centerCrop: false, maskRule: threshold },
  ECSSD: { images: 'ECSSD/images', masks: 'ECSSD/ground_truth_mask', centerCrop: false, maskRule: threshold },
  generic: { images: 'images', masks: 'masks', centerCrop: false, maskRule: threshold },
};

/**
 * Open a benchmark under `root` (the folder that holds `CUB_200_2011/`, `DUTS/`, …;
 * for `generic`, the folder that holds `images/` and `masks/`).
 *
 * @example
 * ```ts
 * const duts = openBenchmark('DUTS-TE', '/data/seg');
 * const horses = openBenchmark('generic', '../shared/datasets/weizmann-horse');
 * ```
 */
export const openBenchmark = (name: BenchmarkName, root: string, options: SegmentationFolderOptions = {}): SegmentationFolder => {
  const layout: BenchmarkLayout | undefined = BENCHMARK_LAYOUTS[name];
  if (!layout) throw new DataError('openBenchmark', `unknown benchmark '${name}'; known: ${Object.keys(BENCHMARK_LAYOUTS).join(', ')}`);
  return new SegmentationFolder(join(root, layout.images), join(root, layout.masks), options);
};
