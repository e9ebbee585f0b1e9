/**
 * `gan-segmenter evaluate --pred <dir> --gt <dir> [--protocol …] [--json]`:
 * score predicted masks against ground-truth masks with one paper's protocol.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { join, extname } from 'node:path';
import type { Command } from '../command.ts';
import { ConfigError, DataError } from '../../core/errors.ts';
import { listImages } from '../../data/folder.ts';
import { readImage } from '../../io/image-file.ts';
import { channel, resize } from '../../io/image.ts';
import { createAccumulator, PROTOCOLS, type MetricReport, type ProtocolName } from '../../metrics/protocols.ts';
import { reportToJson, reportToMarkdown } from '../../metrics/evaluate.ts';

const usage = `usage: gan-segmenter evaluate --pred <dir> --gt <dir> [--protocol ${PROTOCOLS.join('|')}] [--json]

Scores predicted masks (8-bit PNG, 0-255 read as probabilities) against ground-truth
masks, matched by file stem (nested folders allowed). Each prediction is resized to
its ground truth's size with nearest-neighbour sampling. Default protocol: melas-kyriazi.`;

const stem = (rel: string): string => rel.slice(0, rel.length - extname(rel).length);

/**
 * Evaluate a folder of predicted masks against a folder of ground-truth masks.
 *
 * @example
 * ```ts
 * const r = await evaluateFolders('out/pred', 'data/horses/masks', 'melas-kyriazi');
 * ```
 */
export const evaluateFolders = async (predDir: string, gtDir: string, protocol: ProtocolName): Promise<MetricReport> => {
  const gts = listImages(gtDir), preds = new Map(listImages(predDir).map((p) => [stem(p), p]));
  if (gts.length === 0) throw new DataError('evaluate', `no ground-truth masks in ${gtDir}`, gtDir);
  const acc = createAccumulator(protocol);
  for (const g of gts) {
    const p = preds.get(stem(g));
    if (p === undefined) throw new DataError('evaluate', `no prediction for ground truth ${g} in ${predDir}`, join(gtDir, g));
    const gt = channel(readImage(join(gtDir, g)), 0);
    const pred = resize(channel(readImage(join(predDir, p)), 0), gt.width, gt.height, 'nearest');
    acc.add(pred.data, gt.data);
  }
  return acc.report();
};

/**
 * The `evaluate` command.
 *
 * @example
 * ```ts
 * await main(['evaluate', '--pred', 'out/pred', '--gt', 'data/masks', '--json']);
 * ```
 */
export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'score predicted masks against ground truth (per-paper protocols)',
  usage,
  async run(argv) {
    let values: { pred?: string; gt?: string; protocol?: string; json?: boolean };
    try {
      ({ values } = parseArgs({ args: [...argv], options: { pred: { type: 'string' }, gt: { type: 'string' }, protocol: { type: 'string' }, json: { type: 'boolean' } }, strict: true }));
    } catch (e) {
      throw new ConfigError('evaluate', [{ path: '<arguments>', expected: usage.split('\n')[0] as string, given: (e as Error).message }]);
    }
    const protocol = (values.protocol ?? 'melas-kyriazi') as ProtocolName;
    const issues = [
      ...(values.pred ? [] : [{ path: '--pred', expected: 'a folder of predicted masks', given: 'nothing' }]),
      ...(values.gt ? [] : [{ path: '--gt', expected: 'a folder of ground-truth masks', given: 'nothing' }]),
      ...(PROTOCOLS.includes(protocol) ? [] : [{ path: '--protocol', expected: PROTOCOLS.join(' | '), given: String(values.protocol) }]),
    ];
    if (issues.length > 0) throw new ConfigError('evaluate', issues);
    const report = await evaluateFolders(values.pred as string, values.gt as string, protocol);
    console.log(values.json ? reportToJson(report) : reportToMarkdown([report], [values.pred as string]));
    return 0;
  },
};
