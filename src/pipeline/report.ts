/**
 * Run reports: `report.json` (machine-readable) and `report.md` (the metrics
 * table, timings and links to PNG grids), written atomically.
 *
 * @module
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from './types.ts';

/** One row of the metrics table. */
export interface ReportRow {
  /** Row label (e.g. `UNet on held-out shapes`). */
  readonly name: string;
  /** Metric name → value. */
  readonly metrics: Readonly<Record<string, number>>;
}

/** Everything a report shows. */
export interface RunReport {
  /** Title. */
  readonly title: string;
  /** Free-form lines under the title (what was run, on which data). */
  readonly description: readonly string[];
  /** Metrics table rows. */
  readonly rows: readonly ReportRow[];
  /** Stage name → seconds. */
  readonly timings: Readonly<Record<string, number>>;
  /** Caption → PNG path relative to the report. */
  readonly images: Readonly<Record<string, string>>;
  /** Stage records (configs, statistics). */
  readonly records: Readonly<Record<string, Json>>;
}

/** Where {@link writeReport} wrote. */
export interface ReportPaths {
  /** `report.md`. */
  readonly markdown: string;
  /** `report.json`. */
  readonly json: string;
}

const writeAtomic = (path: string, text: string): void => {
  const tmp = `${path}.tmp-${Date.now().toString(36)}-${Math.floor(performance.now() * 1000).toString(36)}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
};

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(4));

/**
 * Markdown of a report.
 *
 * @example
 * ```ts
 * const md = reportMarkdown({ title: 'demo', description: [], rows: [{ name: 'unet', metrics: { iou: 0.9 } }], timings: {}, images: {}, records: {} });
 * ```
 */
export const reportMarkdown = (r: RunReport): string => {
  const cols = [...new Set(r.rows.flatMap((row) => Object.keys(row.metrics)))];
  const lines = [`# ${r.title}`, '', ...r.description, ''];
  if (r.rows.length > 0) {
    lines.push(`| | ${cols.join(' | ')} |`, `|---|${cols.map(() => '---').join('|')}|`);
    for (const row of r.rows) lines.push(`| ${row.name} | ${cols.map((c) => (row.metrics[c] === undefined ? '' : fmt(row.metrics[c] as number))).join(' | ')} |`);
    lines.push('');
  }
  const total = Object.values(r.timings).reduce((a, b) => a + b, 0);
  lines.push('## Time', '', '| stage | seconds |', '|---|---|', ...Object.entries(r.timings).map(([k, v]) => `| ${k} | ${v.toFixed(1)} |`), `| **total** | **${total.toFixed(1)}** |`, '');
  if (Object.keys(r.images).length > 0) {
    lines.push('## Samples', '');
    for (const [caption, path] of Object.entries(r.images)) lines.push(`**${caption}**`, '', `![${caption}](${path})`, '');
  }
  return lines.join('\n');
};

/**
 * Write `report.md` and `report.json` (same numbers) into `dir`; returns their paths.
 *
 * @example
 * ```ts
 * writeReport('out', report); // out/report.md, out/report.json
 * ```
 */
export const writeReport = (dir: string, r: RunReport): ReportPaths => {
  mkdirSync(dir, { recursive: true });
  const markdown = join(dir, 'report.md'), json = join(dir, 'report.json');
  const total = Object.values(r.timings).reduce((a, b) => a + b, 0);
  writeAtomic(json, `${JSON.stringify({ title: r.title, description: r.description, rows: r.rows, timings: { ...r.timings, total }, images: r.images, records: r.records }, null, 2)}\n`);
  writeAtomic(markdown, reportMarkdown(r));
  return { markdown, json };
};
