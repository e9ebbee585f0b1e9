/**
 * The benchmark's leaderboard: a typed result record, rendered as `report.md` and `report.json`.
 * Pure functions of the record (the tests render a fake one).
 *
 * @module
 */
import type { Json } from '../core/json.ts';

/** Scores of one entry on one part of the split. */
export interface PartScores {
  /** Photos scored. */
  readonly n: number;
  /** Mean per-image IoU (p > 0.5, melas-kyriazi). */
  readonly iou: number;
  /** Mean per-image pixel accuracy. */
  readonly acc: number;
  /** Max F-β (β² = 0.3) over thresholds, mean over images (melas-kyriazi). */
  readonly fmax: number;
}

/** One leaderboard entry: a method (with the evaluation variant chosen on validation) or a baseline. */
export interface LeaderboardRow {
  /** `latent-direction`, `baseline: GrabCut`, … */
  readonly name: string;
  /** `method` or `baseline`. */
  readonly kind: 'method' | 'baseline';
  /** What was used (`flip+grabcut`, chosen on validation; a baseline's settings). */
  readonly settings: string;
  /** Scores on the validation part (settings were chosen here). */
  readonly validation: PartScores;
  /** Scores on the test part (the reported number). */
  readonly test: PartScores;
  /** The same method without levers on the test part (methods only). */
  readonly testPlain?: PartScores;
  /** Seconds this entry took (training and evaluation). */
  readonly seconds: number;
  /** Why the entry has no scores (a method that failed to run), when it failed. */
  readonly error?: string;
}

/** One lever's validation number. */
export interface LeverRow {
  /** The method. */
  readonly method: string;
  /** The variant (`plain`, `flip`, `grabcut`, `flip+grabcut`). */
  readonly variant: string;
  /** Mean per-image IoU on the validation part. */
  readonly validationIou: number;
  /** True for the variant the leaderboard uses. */
  readonly chosen: boolean;
}

/** Everything the leaderboard shows. */
export interface BenchmarkResult {
  /** Title line. */
  readonly title: string;
  /** The data set folder. */
  readonly dataset: string;
  /** The split file used, and the parts' sizes. */
  readonly split: {
    /** The split file. */ readonly file: string;
    /** Validation photos. */ readonly validation: number;
    /** Test photos. */ readonly test: number;
    /** The split's seed. */ readonly seed: string;
  };
  /** Free-form lines: protocol, GAN, UNet, how masks are upsampled. */
  readonly notes: readonly string[];
  /** Methods and baselines, best test IoU first. */
  readonly rows: readonly LeaderboardRow[];
  /** Every lever's validation number. */
  readonly levers: readonly LeverRow[];
  /** Stage → seconds. */
  readonly timings: Readonly<Record<string, number>>;
  /** Caption → PNG path relative to the report. */
  readonly images: Readonly<Record<string, string>>;
  /** The decoded config. */
  readonly config: Json;
}

const f3 = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : '–');

/**
 * Rows sorted by test IoU, best first (failed entries last, in their order).
 *
 * @example
 * ```ts
 * const [best] = rankRows(result.rows);
 * ```
 */
export const rankRows = (rows: readonly LeaderboardRow[]): LeaderboardRow[] =>
  [...rows].sort((a, b) => (a.error !== undefined ? 1 : 0) - (b.error !== undefined ? 1 : 0) || (b.error === undefined && a.error === undefined ? b.test.iou - a.test.iou : 0));

/**
 * `report.md` of a benchmark result: the leaderboard (test part), the margin of the best method over
 * GrabCut, the levers' validation numbers, timings and pictures.
 *
 * @example
 * ```ts
 * writeFileAtomic('out/report.md', benchmarkMarkdown(result));
 * ```
 */
export const benchmarkMarkdown = (r: BenchmarkResult): string => {
  const rows = rankRows(r.rows);
  const lines: string[] = [`# ${r.title}`, '', ...r.notes.map((n) => `- ${n}`), ''];
  lines.push(`Split \`${r.split.file}\` (seed ${r.split.seed}): ${r.split.validation} validation photos (settings chosen on their masks), ${r.split.test} test photos (reported).`, '');
  lines.push('| rank | entry | settings | test IoU | test acc | test F-max | validation IoU | test IoU of the same UNet without flip/GrabCut | seconds |', '|---|---|---|---|---|---|---|---|---|');
  rows.forEach((x, i) => {
    if (x.error !== undefined) lines.push(`| – | ${x.name} | failed: ${x.error.replace(/\|/g, '/').replace(/\n/g, ' ')} | | | | | | ${x.seconds.toFixed(0)} |`);
    else lines.push(`| ${i + 1} | ${x.kind === 'method' ? `**${x.name}**` : x.name} | ${x.settings} | ${f3(x.test.iou)} | ${f3(x.test.acc)} | ${f3(x.test.fmax)} | ${f3(x.validation.iou)} | ${x.testPlain ? f3(x.testPlain.iou) : ''} | ${x.seconds.toFixed(0)} |`);
  });
  const ok = rows.filter((x) => x.error === undefined);
  const best = ok.find((x) => x.kind === 'method'), grabcut = ok.find((x) => x.name === 'baseline: GrabCut');
  if (best && grabcut) {
    const d = best.test.iou - grabcut.test.iou;
    lines.push('', `Best method minus GrabCut on the test part: **${d >= 0 ? '+' : ''}${d.toFixed(3)} IoU** (${best.name}, ${best.settings}).`);
  }
  if (r.levers.length > 0) {
    lines.push('', '## Levers (validation part; the chosen one is marked)', '', '| method | variant | validation IoU | chosen |', '|---|---|---|---|');
    for (const l of r.levers) lines.push(`| ${l.method} | ${l.variant} | ${f3(l.validationIou)} | ${l.chosen ? '✓' : ''} |`);
  }
  const t = Object.entries(r.timings);
  if (t.length > 0) {
    lines.push('', '## Timings', '', '| stage | seconds |', '|---|---|');
    for (const [k, v] of t) lines.push(`| ${k} | ${v.toFixed(1)} |`);
  }
  const im = Object.entries(r.images);
  if (im.length > 0) {
    lines.push('', '## Hardest test photos (image · truth · prediction)', '');
    for (const [cap, file] of im) lines.push(`**${cap}**`, '', `![${cap}](${file})`, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
};

/**
 * `report.json` of a benchmark result: the record itself, rows ranked, with `bestMinusGrabcut`.
 *
 * @example
 * ```ts
 * JSON.parse(benchmarkJson(result)).rows[0].test.iou;
 * ```
 */
export const benchmarkJson = (r: BenchmarkResult): string => {
  const rows = rankRows(r.rows);
  const ok = rows.filter((x) => x.error === undefined);
  const best = ok.find((x) => x.kind === 'method'), grabcut = ok.find((x) => x.name === 'baseline: GrabCut');
  return `${JSON.stringify({ ...r, rows, bestMinusGrabcut: best && grabcut ? best.test.iou - grabcut.test.iou : null }, null, 2)}\n`;
};
