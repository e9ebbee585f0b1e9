/**
 * Streaming evaluation over a dataset and report formatting (JSON, Markdown).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../core/errors.ts';
import type { Raster } from '../core/raster.ts';
import { createAccumulator, PROTOCOL_INFO, type MetricReport, type ProtocolName } from './protocols.ts';

/** One mask: a 1-channel {@link Raster}, a `[H,W]`/`[H,W,1]` tensor, or a `[N,H,W,1]` batch (N masks). */
export type MaskInput = Raster | tf.Tensor;

const toFlat = (m: MaskInput): Array<{ h: number; w: number; data: Float32Array }> => {
  if (!(m instanceof tf.Tensor)) {
    if (m.channels === 1) return [{ h: m.height, w: m.width, data: m.data }];
    const data = new Float32Array(m.width * m.height);
    for (let i = 0; i < data.length; i++) data[i] = m.data[i * m.channels] as number;
    return [{ h: m.height, w: m.width, data }];
  }
  const s = m.shape, v = m.dataSync() as Float32Array;
  if (m.rank === 2) return [{ h: s[0] as number, w: s[1] as number, data: Float32Array.from(v) }];
  if (m.rank === 3 && s[2] === 1) return [{ h: s[0] as number, w: s[1] as number, data: Float32Array.from(v) }];
  if (m.rank === 4 && s[3] === 1) {
    const [n, h, w] = s as [number, number, number, number];
    return Array.from({ length: n }, (_, i) => ({ h, w, data: v.slice(i * h * w, (i + 1) * h * w) }));
  }
  throw new ShapeError('evaluate', `a mask must be [H,W], [H,W,1] or [N,H,W,1], got [${s.join(',')}]`);
};

async function* flatten(xs: Iterable<MaskInput> | AsyncIterable<MaskInput>): AsyncGenerator<{ h: number; w: number; data: Float32Array }> {
  for await (const x of xs) yield* toFlat(x);
}

/**
 * Evaluate predicted foreground probabilities against ground-truth masks with
 * one paper's protocol, streaming (one image in memory at a time). Both
 * sequences must yield the same number of masks of matching sizes.
 *
 * @example
 * ```ts
 * const r = await evaluate(predMasks, gtMasks, 'melas-kyriazi');
 * console.log(r.iou, r.fmax, reportToMarkdown([r]));
 * ```
 */
export const evaluate = async (
  predictions: Iterable<MaskInput> | AsyncIterable<MaskInput>,
  groundTruth: Iterable<MaskInput> | AsyncIterable<MaskInput>,
  protocol: ProtocolName = 'melas-kyriazi',
): Promise<MetricReport> => {
  const acc = createAccumulator(protocol);
  const ps = flatten(predictions), gs = flatten(groundTruth);
  for (let i = 0; ; i++) {
    const [p, g] = await Promise.all([ps.next(), gs.next()]);
    if (p.done && g.done) break;
    if (p.done || g.done) throw new ShapeError('evaluate', `${p.done ? 'predictions' : 'ground truth'} ended after ${i} masks, the other has more`);
    if (p.value.h !== g.value.h || p.value.w !== g.value.w)
      throw new ShapeError('evaluate', `mask ${i}: prediction ${p.value.w}x${p.value.h} vs ground truth ${g.value.w}x${g.value.h}`);
    acc.add(p.value.data, g.value.data);
  }
  return acc.report();
};

/**
 * A report as JSON text (NaN becomes null), with the protocol's source attached.
 *
 * @example
 * ```ts
 * writeFileSync('metrics.json', reportToJson(r));
 * ```
 */
export const reportToJson = (r: MetricReport): string =>
  JSON.stringify({ ...r, source: PROTOCOL_INFO[r.protocol].source }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);

const fmt = (v: number | null): string => (v === null ? '–' : Number.isNaN(v) ? 'NaN' : v.toFixed(4));

/**
 * Reports as one Markdown table (one row per report, optional row labels).
 *
 * @example
 * ```ts
 * console.log(reportToMarkdown([a, b], ['UNet', 'centre prior']));
 * ```
 */
export const reportToMarkdown = (reports: readonly MetricReport[], labels?: readonly string[]): string => {
  const head = '| run | protocol | count | acc | iou | fmax | mae |\n|---|---|---:|---:|---:|---:|---:|';
  const rows = reports.map((r, i) => `| ${labels?.[i] ?? `#${i + 1}`} | ${r.protocol} | ${r.count} | ${fmt(r.acc)} | ${fmt(r.iou)} | ${fmt(r.fmax)} | ${fmt(r.mae)} |`);
  return [head, ...rows].join('\n');
};
