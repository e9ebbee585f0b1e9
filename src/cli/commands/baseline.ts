/**
 * `gan-segmenter baseline --method center|otsu|grabcut (--data <dir> | --layout <benchmark> --data <root>) --out <dir>`:
 * write training-free baseline masks, floors for every report.
 *
 * @module
 */
import { join } from 'node:path';
import type { Command } from '../command.ts';
import { ImageFolder } from '../../data/folder.ts';
import { BENCHMARK_LAYOUTS, type BenchmarkName } from '../../data/layouts.ts';
import { resolveImageDir } from '../../data/tensors.ts';
import { centerPriorMask, otsuMask } from '../../data/baselines.ts';
import { grabcutMask } from '../../data/grabcut.ts';
import { writePng } from '../../io/image-file.ts';
import { expectArgs, splitArgs, UsageError } from '../args.ts';
import { cliOutput } from '../output.ts';

const METHODS = ['center', 'otsu', 'grabcut'] as const;
type Method = (typeof METHODS)[number];
const LAYOUTS = Object.keys(BENCHMARK_LAYOUTS) as BenchmarkName[];
const usage = `usage: gan-segmenter baseline --method center|otsu|grabcut --data <dir> [--layout <benchmark>] --out <dir> [--json]

Writes one 8-bit PNG mask (0/255) per image to --out, same relative stem, and prints
'wrote N <method> masks to <out>' (with --json: {"method", "data", "layout", "out", "masks"}).
--data is a folder of images, or a folder holding images/ (the generic layout); with
--layout (${LAYOUTS.join(', ')}) it is the folder holding that benchmark and its images
folder is the layout's. center: a centred ellipse with semi-axes 0.35·W, 0.35·H.
otsu: Otsu threshold of the luma; the class touching the border less is foreground.
grabcut: OpenCV GrabCut, 5 iterations, from the central rectangle with a 5 % margin on each side.`;

/**
 * Write baseline masks for every image under `dataDir` (or `dataDir/images`; with a
 * `layout`, the layout's images folder under `dataDir`) into `outDir`; returns the count.
 *
 * @example
 * ```ts
 * await writeBaselineMasks('otsu', 'data/horses', 'out/otsu');
 * await writeBaselineMasks('center', '/data/seg', 'out/duts', 'DUTS-TE');
 * await writeBaselineMasks('grabcut', 'data/horses', 'out/grabcut');
 * ```
 */
export const writeBaselineMasks = async (method: Method, dataDir: string, outDir: string, layout?: BenchmarkName): Promise<number> => {
  const images = new ImageFolder(layout === undefined ? resolveImageDir(dataDir) : join(dataDir, BENCHMARK_LAYOUTS[layout].images));
  for (let i = 0; i < images.length; i++) {
    const { id, image } = await images.get(i);
    const mask = method === 'center' ? centerPriorMask(image.width, image.height) : method === 'otsu' ? otsuMask(image) : await grabcutMask(image);
    writePng(join(outDir, `${id}.png`), mask);
  }
  return images.length;
};

/**
 * The `baseline` command.
 *
 * @example
 * ```ts
 * await main(['baseline', '--method', 'otsu', '--data', 'data/horses', '--out', 'out/otsu']);
 * ```
 */
export const baselineCommand: Command = {
  name: 'baseline',
  summary: 'write centre-prior, Otsu or GrabCut baseline masks for a folder of images or a benchmark',
  usage,
  async run(argv, out = cliOutput()) {
    const { flags } = expectArgs(splitArgs(argv), { flags: ['method', 'data', 'layout', 'out'] }, 'baseline');
    const layout = flags['layout'] as BenchmarkName | undefined;
    const issues = [
      ...(METHODS.includes(flags['method'] as Method) ? [] : [{ path: '--method', expected: METHODS.join(' | '), given: String(flags['method']) }]),
      ...(flags['data'] ? [] : [{ path: '--data', expected: 'a folder of images', given: 'nothing' }]),
      ...(layout === undefined || LAYOUTS.includes(layout) ? [] : [{ path: '--layout', expected: LAYOUTS.join(' | '), given: layout }]),
      ...(flags['out'] ? [] : [{ path: '--out', expected: 'an output folder', given: 'nothing' }]),
    ];
    if (issues.length > 0) throw new UsageError('baseline', issues);
    const n = await writeBaselineMasks(flags['method'] as Method, flags['data'] as string, flags['out'] as string, layout);
    out.result({ method: flags['method'], data: flags['data'], layout: layout ?? null, out: flags['out'], masks: n }, `wrote ${n} ${flags['method']} masks to ${flags['out']}`);
    return 0;
  },
};
