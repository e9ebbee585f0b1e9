/**
 * gan-segmenter: unsupervised foreground/background segmenters found inside GANs.
 *
 * This is the supported surface: what a script or a notebook uses to load or train
 * a generator, run a method of the method table, train and evaluate a segmenter,
 * and read and write the files involved. The building blocks behind it are
 * subpath exports, one per folder of `src/` (`gan-segmenter/nn`, `gan-segmenter/train`,
 * `gan-segmenter/models`, `gan-segmenter/methods`, `gan-segmenter/pipeline`,
 * `gan-segmenter/data`, `gan-segmenter/metrics`, `gan-segmenter/io`,
 * `gan-segmenter/io/image`, `gan-segmenter/io/weights`, `gan-segmenter/backend`,
 * `gan-segmenter/core`); they change with the code they expose.
 *
 * @example
 * ```ts
 * import { initBackend, runMethodPipeline } from 'gan-segmenter';
 * await initBackend();
 * const r = await runMethodPipeline({ method: 'latent-direction', gan: { weights: 'assets/dcgan-shapes-32.safetensors' } });
 * console.log(r.metrics.iou);
 * ```
 *
 * @module gan-segmenter
 */

// ---------------------------------------------------------------------------
// backend: pick and initialise the tfjs backend (native kernels, tfjs-node, wasm, cpu)
// ---------------------------------------------------------------------------
export { initBackend, activeBackend, type BackendInfo, type BackendName, type InitBackendOptions, type NativeEnableResult } from './backend/index.ts';

// ---------------------------------------------------------------------------
// core: seeded randomness, typed errors, tensor and config types, run events
// ---------------------------------------------------------------------------
export {
  Rng, type RngState, type Arc4State,
  GanSegmenterError, ConfigError, ShapeError, WeightsError, DataError, BackendError, type ConfigIssue,
  type ImageBatch, type MaskBatch, type Module, countLeaks, type LeakCount,
  PositiveInt, NonNegativeInt, PositiveNumber, Probability, Resolution, PowerOfTwo,
  type PositiveIntBrand, type NonNegativeIntBrand, type PositiveNumberBrand, type ProbabilityBrand, type ResolutionBrand, type PowerOfTwoBrand,
  decodeOrThrow, type Json, toJson,
  type PipelineContext, type PipelineEvent, type StageStartEvent, type StageProgressEvent, type StageEndEvent,
} from './core/index.ts';

// ---------------------------------------------------------------------------
// data: image folders and sets as tensors, the synthetic `shapes` benchmark, baselines
// ---------------------------------------------------------------------------
export {
  loadShapes, loadImageFolder, loadLabelledFolder, resolveLabelledDir, resolveImageDir,
  type ImageSet, type LabelledSet, type LabelledFolders,
  shapesDataset, generateShapeSample, writeShapes, type ShapesOptions, type SegmentationSample, type SegmentationDataset,
  centerPriorMask, centreEllipseMasks, otsuMask, otsuMasks, otsuThreshold, type CenterPriorOptions,
  grabcutMask, grabcutMasks, type GrabcutOptions,
  epochBatches, epochBatchesOf, epochPermutation, type StepBatches,
} from './data/index.ts';

// ---------------------------------------------------------------------------
// models: the generator interface and family table, the generators, the UNet
// ---------------------------------------------------------------------------
export type { Generator, SynthesizeOptions, SynthesizeResult } from './models/generator.ts';
export {
  GENERATOR_FAMILIES, GENERATOR_FAMILY_NAMES, type GeneratorFamily, type GeneratorFamilyName, type FamilyConfig,
  generatorFamilyOf, isGeneratorFamilyName, loadGenerator, saveGenerator, type LoadGeneratorOptions, type SaveGeneratorOptions, withDefaultClass,
  createDCGANGenerator, createDCGANDiscriminator, DCGANGenerator, DCGANDiscriminator, DCGANConfig, dcganSmall32,
  createStyleGAN2Generator, createStyleGAN2Discriminator, StyleGAN2Generator, StyleGAN2Discriminator, StyleGAN2Config,
  STYLEGAN2_PRESETS, styleGAN2Preset, type StyleGAN2PresetName, loadStyleGAN2Checkpoint,
  BigGAN, BigGANDeep, BigGANDiscriminator, type BigGANConfig, type BigGANDeepConfig, BIGGAN_PRESETS, BIGGAN_DEEP_PRESETS,
  loadBigGAN, loadBigGANDeep, loadBigGANDiscriminator, truncatedNormalLatents,
  createUNet, UNet, UNetConfig, UNetEnsemble, milesialUNetConfig, unetFromSafetensors, loadUNetFile, inferUNetConfig,
} from './models/index.ts';

// ---------------------------------------------------------------------------
// methods: the method spec, the method table, the latent-direction and Labels4Free methods
// ---------------------------------------------------------------------------
export {
  METHODS, withMethods, findMethod, decodeMethodConfig,
  type MethodSpec, type AnyMethodSpec, type MethodName, type MethodTable, type MethodNeed, type MethodInputs, type InputsFor,
  type MaskSource, type MethodPictures, type ConfigOf,
  latentDirectionMethod, LatentDirectionConfig, PAPER_CONFIG, PAPER_MASK_FILTERS, decodeLatentDirectionConfig,
  LatentDirection, LatentDirectionFinder, findLatentDirection, directionMaskSource, type DirectionArtifact,
  loadDirection, saveDirection, invertImages, readLatentsNpy, sampleSyntheticBatch, syntheticStream,
  labels4freeMethod, Labels4FreeConfig, LABELS4FREE_DEFAULTS, LABELS4FREE_PRESETS, labels4freePreset, type Labels4FreePreset, type AlphaMaskSource,
  gansegMethod, GanSegConfig, GANSEG_DEFAULTS, GANSEG_TRAIN_PRESETS, gansegPreset, type GanSegPresetName, type PartMaskSource, partCentroids, type PartCentroids,
  ilsganMethod, IlsganConfig, ILSGAN_DEFAULTS, ILSGAN_PRESETS, ilsganPreset, type IlsganPreset, type LayeredMaskSource,
  estimateMutualInformation, layeredMutualInformation, MineConfig, MINE_DEFAULTS, type MineResult,
} from './methods/index.ts';

// ---------------------------------------------------------------------------
// training: a GAN on unlabeled images, a segmenter on (image, mask) pairs
// ---------------------------------------------------------------------------
export {
  trainGan, type TrainGanOptions, GanTrainConfig, dcganTrainDefaults, defaultGanPhases, type GanPhase, type GanNetworks,
  trainSegmenter, type TrainSegmenterOptions, SegmenterTrainConfig, melasKyriaziSegmenterDefaults, SegmenterAugmentation,
  type PairBatch, type PairBatches, type TrainEvent, type TrainEventHandler, type WarningEvent,
  TrainingError, NonFiniteError, LockedError, ADA_DEFAULTS, AdaSettings, adaAugment, adaPipe,
} from './train/index.ts';

// ---------------------------------------------------------------------------
// pipeline: one run of any method, and the typed stages it is made of
// ---------------------------------------------------------------------------
export {
  runMethodPipeline, type RunOptions, type MethodRunResult,
  decodeRunConfig, RunConfig, RUN_DEFAULTS, type RunInput, type DeepPartial, EvalDataset, TrainDataset, FolderDataset,
  loadGeneratorFile, loadGeneratorCheckpoint,
  stage, useGenerator, prepareStage, prepareMethod, findDirection, generateData, type GenerateDataOptions,
  trainSegmenterStage, type SegmenterStageOptions, evaluateStage, protocolMetrics, type MetricsFn, ensembleSegmenters,
  writeSyntheticSet, type WriteSyntheticOptions, type SyntheticManifest,
  type Stage, type HasRecord, type GeneratorArtifact, type MaskSourceArtifact, type SyntheticDataArtifact, type SegmenterArtifact, type EvaluationArtifact,
  loadSegmenter, type LoadedSegmenter, segmentFolder, type SegmentFolderOptions, segmentImage, type SegmentImageOptions, predictProbabilities,
  writeReport, reportMarkdown, type RunReport, type ReportRow, type ReportPaths,
} from './pipeline/index.ts';

// ---------------------------------------------------------------------------
// metrics: each paper's evaluation protocol
// ---------------------------------------------------------------------------
export {
  evaluate, PROTOCOLS, PROTOCOL_INFO, type ProtocolName, type ProtocolInfo, type MetricReport, type MaskInput,
  reportToJson, reportToMarkdown, createAccumulator, type MetricAccumulator, fBeta,
} from './metrics/index.ts';

// ---------------------------------------------------------------------------
// io: safetensors, .npy, PyTorch checkpoints, images
// ---------------------------------------------------------------------------
export {
  readSafetensors, writeSafetensors, parseSafetensors, serializeSafetensors, type SafetensorsContent,
  readNpy, writeNpy, parseNpy, serializeNpy, npyToTensor, tensorToNpy, type NpyArray, type NpyDType,
  loadTorchCheckpoint, readTorchCheckpoint, type TorchReadOptions,
} from './io/index.ts';
export type { StateDict, StoredTensor, StoredDType } from './io/state-dict.ts';
export { readImage, writePng, writeGrid, decodeImage, encodePng, type Raster, type GridRow, type GridOptions, type OverlayRow } from './io/image-index.ts';
