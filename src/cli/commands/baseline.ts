/**
 * `gan-segmenter baseline --method center|otsu --data <dir> --out <dir>`:
 * write training-free baseline masks, floors for every report.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { existsSync, statSync } from 'node:fs';
import { join, extname } from 'node:path';
import type { Command } from '../command.ts';
import { ConfigError } from '../../core/errors.ts';
import { listImages } from '../../data/folder.ts';
import { centerPriorMask, otsuMask } from '../../data/baselines.ts';
import { readImage, writePng } from '../../io/image-file.ts';
import { toRgb } from '../../io/image.ts';

const METHODS = ['center', 'otsu'] as const;
const usage = `usage: gan-segmenter baseline --method center|otsu --data <dir> --out <dir>

Writes one 8-bit PNG mask (0/255) per image to --out, same relative stem.
--data is a folder of images, or a folder holding images/ (the generic layout).
center: a centred ellipse with semi-axes 0.35·W, 0.35·H. otsu: Otsu threshold of the
luma; the class touching the border less is foreground.`;

/**
 * Write baseline masks for every image under `dataDir` (or `dataDir/images`) into `outDir`; returns the count.
 *
 * @example
 * ```ts
 * writeBaselineMasks('otsu', 'data/horses', 'out/otsu');
 * ```
 */
export const writeBaselineMasks = (method: 'center' | 'otsu', dataDir: string, outDir: string): number => {
  const images = existsSync(join(dataDir, 'images')) && statSync(join(dataDir, 'images')).isDirectory() ? join(dataDir, 'images') : dataDir;
  const files = listImages(images);
  for (const f of files) {
    const img = toRgb(readImage(join(images, f)));
    const mask = method === 'center' ? centerPriorMask(img.width, img.height) : otsuMask(img);
    writePng(join(outDir, `${f.slice(0, f.length - extname(f).length)}.png`), mask);
  }
  return files.length;
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
  summary: 'write centre-prior or Otsu baseline masks for a folder of images',
  usage,
  async run(argv) {
    let values: { method?: string; data?: string; out?: string };
    try {
      ({ values } = parseArgs({ args: [...argv], options: { method: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' } }, strict: true }));
    } catch (e) {
      throw new ConfigError('baseline', [{ path: '<arguments>', expected: usage.split('\n')[0] as string, given: (e as Error).message }]);
    }
    const issues = [
      ...(METHODS.includes(values.method as 'center') ? [] : [{ path: '--method', expected: METHODS.join(' | '), given: String(values.method) }]),
      ...(values.data ? [] : [{ path: '--data', expected: 'a folder of images', given: 'nothing' }]),
      ...(values.out ? [] : [{ path: '--out', expected: 'an output folder', given: 'nothing' }]),
    ];
    if (issues.length > 0) throw new ConfigError('baseline', issues);
    const n = writeBaselineMasks(values.method as 'center' | 'otsu', values.data as string, values.out as string);
    console.log(`wrote ${n} ${values.method} masks to ${values.out}`);
    return 0;
  },
};
