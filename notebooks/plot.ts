/**
 * A small line chart as an SVG string, for the notebooks' loss curves (no plotting
 * dependency). Plain TypeScript with no imports: tslab imports it as `./plot`, Deno as `./plot.ts`.
 *
 * @example
 * ```ts
 * tslab.display.svg(lineChartSvg('loss', [{ name: 'loss', values: [3, 2, 1.5] }]));
 * ```
 */

/** One line of the chart. */
export interface Series {
  /** Legend text. */
  readonly name: string;
  /** y values, one per step (x is the index + 1). NaN/Infinity are skipped. */
  readonly values: readonly number[];
}

/** Options of {@link lineChartSvg}. */
export interface ChartOptions {
  /** Width in px. Default 560. */
  readonly width?: number;
  /** Height in px. Default 220. */
  readonly height?: number;
  /** x-axis label. Default 'step'. */
  readonly xLabel?: string;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

const fmt = (v: number): string => (Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2));

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** `series` as one SVG line chart: shared axes, min/max ticks, a legend. */
export const lineChartSvg = (title: string, series: readonly Series[], options: ChartOptions = {}): string => {
  const width = options.width ?? 560, height = options.height ?? 220;
  const left = 56, right = 12, top = 28, bottom = 36;
  const finite = series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
  const n = Math.max(1, ...series.map((s) => s.values.length));
  let lo = finite.length > 0 ? Math.min(...finite) : 0, hi = finite.length > 0 ? Math.max(...finite) : 1;
  if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
  const x = (i: number): number => left + (n === 1 ? 0 : (i / (n - 1)) * (width - left - right));
  const y = (v: number): number => top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom);
  const lines = series.map((s, k) => {
    const pts = s.values.flatMap((v, i) => (Number.isFinite(v) ? [`${x(i).toFixed(1)},${y(v).toFixed(1)}`] : [])).join(' ');
    return `<polyline fill="none" stroke="${COLOURS[k % COLOURS.length]}" stroke-width="1.5" points="${pts}"/>`;
  });
  const legend = series.map((s, k) =>
    `<text x="${width - right - 4}" y="${top + 14 + 14 * k}" text-anchor="end" fill="${COLOURS[k % COLOURS.length]}">${escapeXml(s.name)}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="16" text-anchor="middle" font-size="13">${escapeXml(title)}</text>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="black"/>`,
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="black"/>`,
    `<text x="${left - 4}" y="${top + 4}" text-anchor="end">${fmt(hi)}</text>`,
    `<text x="${left - 4}" y="${height - bottom}" text-anchor="end">${fmt(lo)}</text>`,
    `<text x="${left}" y="${height - bottom + 14}" text-anchor="middle">1</text>`,
    `<text x="${width - right}" y="${height - bottom + 14}" text-anchor="end">${n}</text>`,
    `<text x="${(left + width - right) / 2}" y="${height - 6}" text-anchor="middle">${escapeXml(options.xLabel ?? 'step')}</text>`,
    ...lines,
    ...legend,
    '</svg>',
  ].join('\n');
};
