/**
 * `gan-segmenter evaluate --pred <dir> (--gt <dir> | --layout <benchmark> --data <root>) [--protocol …] [--json]`:
 * score predicted masks against ground-truth masks with one paper's protocol.
 *
 * @module
 */
import { join, extname } from 'node:path';
import type { Command } from '../command.ts';
import { DataError } from '../../core/errors.ts';
import { listImages } from '../../data/folder.ts';
import { BENCHMARK_LAYOUTS, openBenchmark, type BenchmarkName } from '../../data/layouts.ts';
import { melasScoringPair } from '../../data/eval-input.ts';
import { readImage } from '../../io/image-file.ts';
import { channel, resize } from '../../io/image.ts';
import { createAccumulator, labels4freePairs, PROTOCOLS, type MetricReport, type ProtocolName } from '../../metrics/protocols.ts';
import { reportToJson, reportToMarkdown } from '../../metrics/evaluate.ts';
import { expectArgs, splitArgs, UsageError } from '../args.ts';
import { cliOutput } from '../output.ts';

const LAYOUTS = Object.keys(BENCHMARK_LAYOUTS) as BenchmarkName[];
const usage = `usage: gan-segmenter evaluate --pred <dir> (--gt <dir> | --layout <benchmark> --data <root>) [--protocol ${PROTOCOLS.join('|')}] [--json]

Scores predicted masks (8-bit PNG, 0-255 read as probabilities) against ground-truth
masks, matched by file stem (nested folders allowed); --protocol labels4free pairs the top-level
*.png files by natural-sorted position instead, as test_customdata.py. Default protocol: melas-kyriazi.
--gt <dir>: a folder of masks; each prediction is resized to its ground truth's size
  with nearest-neighbour sampling.
--layout <benchmark> --data <root>: the masks of a benchmark as the papers ship it
  (${LAYOUTS.join(', ')}; generic = <root>/images + <root>/masks), scored as melas-kyriazi's
  evaluation does: masks at full resolution, centre-cropped for CUB and Flowers (a
  non-square prediction too), predictions upsampled bilinearly to the mask's size.
Prints a Markdown table (protocol, count, IoU, accuracy, max F-beta, MAE); --json prints the report as one JSON object.`;

const stem = (rel: string): string => rel.slice(0, rel.length - extname(rel).length);

/**
 * Ground truth to score against: a folder of masks, or a benchmark layout under a root folder.
 *
 * @example
 * ```ts
 * const gt: GroundTruth = { layout: 'DUTS-TE', root: '/data/seg' }; // or 'data/horses/masks'
 * ```
 */
export type GroundTruth = string | { readonly layout: BenchmarkName; readonly root: string };

/**
 * Evaluate a folder of predicted masks against ground truth: a folder of masks
 * (predictions resized nearest to each mask), or a benchmark layout (scored with
 * the melas-kyriazi inputs, see `melasScoringPair`).
 *
 * @example
 * ```ts
 * const r = await evaluateFolders('out/pred', 'data/horses/masks', 'melas-kyriazi');
 * const cub = await evaluateFolders('out/cub', { layout: 'CUB_200_2011/test', root: '/data/seg' }, 'melas-kyriazi');
 * ```
 */
export const evaluateFolders = async (predDir: string, gt: GroundTruth, protocol: ProtocolName): Promise<MetricReport> => {
  const crop = typeof gt === 'string' ? undefined : BENCHMARK_LAYOUTS[gt.layout].centerCrop;
  // [id, mask folder, mask path relative to it]: a layout pairs images and masks by stem (SegmentationFolder), a folder lists its masks.
  if (protocol === 'labels4free' && typeof gt === 'string') return scoreLabels4free(predDir, gt);
  const gts: Array<readonly [string, string, string]> =
    typeof gt === 'string'
      ? listImages(gt).map((g) => [stem(g), gt, g] as const)
      : ((ds) => ds.pairs.map((p) => [p.id, ds.masksDir, p.mask] as const))(openBenchmark(gt.layout, gt.root));
  const where = typeof gt === 'string' ? gt : `${gt.layout} in ${gt.root}`;
  if (gts.length === 0) throw new DataError('evaluate', `no ground-truth masks in ${where}`, typeof gt === 'string' ? gt : gt.root);
  const preds = new Map(listImages(predDir).map((p) => [stem(p), p]));
  const acc = createAccumulator(protocol);
  for (const [id, dir, rel] of gts) {
    const p = preds.get(id), file = join(dir, rel);
    if (p === undefined) throw new DataError('evaluate', `no prediction for ground truth ${rel} in ${predDir}`, file);
    const mask = channel(readImage(file), 0), pred = channel(readImage(join(predDir, p)), 0);
    const pair = crop === undefined ? { pred: resize(pred, mask.width, mask.height, 'nearest'), gt: mask } : melasScoringPair(pred, mask, crop);
    acc.add(pair.pred.data, pair.gt.data);
  }
  return acc.report();
};

/**
 * The `evaluate` command.
 *
 * @example
 * ```ts
 * await main(['evaluate', '--pred', 'out/pred', '--gt', 'data/masks', '--json']);
 * await main(['evaluate', '--pred', 'out/cub', '--layout', 'CUB_200_2011/test', '--data', '/data/seg']);
 * ```
 */
/** test_customdata.py: top-level *.png of both folders paired by natural-sorted position, compared at their own sizes. */
const scoreLabels4free = (predDir: string, gtDir: string): MetricReport => {
  const acc = createAccumulator('labels4free');
  for (const [p, g] of labels4freePairs(listImages(predDir), listImages(gtDir))) {
    const mask = channel(readImage(join(gtDir, g)), 0), pred = channel(readImage(join(predDir, p)), 0);
    if (mask.width !== pred.width || mask.height !== pred.height) throw new DataError('evaluate', `labels4free compares masks as they are (the script asserts equal shapes): ${p} is ${pred.width}x${pred.height}, ${g} is ${mask.width}x${mask.height}`, join(predDir, p));
    acc.add(pred.data, mask.data);
  }
  return acc.report();
};

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'score predicted masks against ground truth (per-paper protocols, benchmark layouts)',
  usage,
  async run(argv, out = cliOutput()) {
    const { flags } = expectArgs(splitArgs(argv, ['json']), { flags: ['pred', 'gt', 'layout', 'data', 'protocol', 'json'] }, 'evaluate');
    const protocol = (flags['protocol'] ?? 'melas-kyriazi') as ProtocolName, layout = flags['layout'] as BenchmarkName | undefined;
    const issues = [
      ...(flags['pred'] ? [] : [{ path: '--pred', expected: 'a folder of predicted masks', given: 'nothing' }]),
      ...(flags['gt'] === undefined && layout === undefined ? [{ path: '--gt', expected: 'a folder of ground-truth masks (or --layout and --data)', given: 'nothing' }] : []),
      ...(flags['gt'] !== undefined && layout !== undefined ? [{ path: '--layout', expected: 'either --gt or --layout, not both', given: 'both' }] : []),
      ...(layout === undefined || LAYOUTS.includes(layout) ? [] : [{ path: '--layout', expected: LAYOUTS.join(' | '), given: layout }]),
      ...(layout !== undefined && !flags['data'] ? [{ path: '--data', expected: 'the folder holding the benchmark', given: 'nothing' }] : []),
      ...(PROTOCOLS.includes(protocol) ? [] : [{ path: '--protocol', expected: PROTOCOLS.join(' | '), given: String(flags['protocol']) }]),
    ];
    if (issues.length > 0) throw new UsageError('evaluate', issues);
    const pred = flags['pred'] as string;
    const report = await evaluateFolders(pred, layout === undefined ? (flags['gt'] as string) : { layout, root: flags['data'] as string }, protocol);
    // `--json` reaches a direct call (a test, a notebook) as a flag, a `main` call as `out.json`.
    console.log(out.json || flags['json'] === 'true' ? reportToJson(report) : reportToMarkdown([report], [pred]));
    return 0;
  },
};
