/**
 * Data: image folders, benchmark layouts, whole sets as tensors (labelled folders,
 * unlabeled images, `shapes`), the synthetic `shapes` benchmark, seeded streaming
 * batches with augmentation, evaluation inputs, and baseline masks (centre ellipse, Otsu, GrabCut).
 *
 * @module
 */
export { ImageFolder, SegmentationFolder, listImages, IMAGE_EXTENSIONS, type ErrorPolicy, type ImageSample, type ImageDataset, type ImageFolderOptions, type SegmentationFolderOptions } from './folder.ts';
export { BENCHMARK_LAYOUTS, openBenchmark, type BenchmarkLayout, type BenchmarkName } from './layouts.ts';
export { generateShapeSample, shapesDataset, type ShapesOptions, type SegmentationSample, type SegmentationDataset } from './shapes.ts';
export { writeShapes } from './shapes-disk.ts';
export { batches, epochBatches, epochBatchesOf, epochBatchIndices, epochPermutation, type Batch, type BatchOptions, type StepBatches } from './batches.ts';
export { augmentPair, drawJitterFactors, fitSquare, randomCropWindow, type AugmentOptions, type JitterFactors, type Pair } from './augment.ts';
export { melasEvalPair, melasScoringPair, upsampleProbability, type EvalPair, type ScoringPair } from './eval-input.ts';
export { centerPriorMask, centreEllipseMasks, otsuMask, otsuMasks, otsuThreshold, type CenterPriorOptions } from './baselines.ts';
export { grabcutMask, grabcutMasks, grabcutFromLabels, GC_LABELS, type GrabcutOptions } from './grabcut.ts';
export { refineWithGrabcut, seedLabels, boxLabels, type RefineOptions } from './refine.ts';
export { makeSplit, checkSplit, readSplit, writeSplit, type DataSplit } from './split.ts';
export { loadLabelledFolder, loadImageFolder, loadShapes, resolveLabelledDir, resolveImageDir, type LabelledSet, type ImageSet, type LabelledFolders } from './tensors.ts';
