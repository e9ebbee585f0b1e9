/**
 * Training logs on disk: JSON lines and TensorBoard event files. Node-only.
 *
 * @module
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import process from 'node:process';
import { encodeEvent, tfRecord } from './tensorboard.ts';

/** Named scalars of one step. */
export type Scalars = Readonly<Record<string, number>>;

/**
 * Appends one JSON object per line: `{"step":…,"time":…,…scalars}`.
 *
 * @example
 * ```ts
 * const log = new JsonlLogger('runs/a/log.jsonl');
 * log.write(10, { 'loss/D': 1.2 });
 * ```
 */
export class JsonlLogger {
  /** The file. */
  readonly file: string;
  constructor(file: string) {
    this.file = file;
    fs.mkdirSync(path.dirname(file), { recursive: true });
  }
  /**
   * Drop records after `step` (a resumed run re-logs the steps after its checkpoint).
   *
   * @example
   * ```ts
   * new JsonlLogger('runs/a/log.jsonl').truncateAfter(1000);
   * ```
   */
  truncateAfter(step: number): void {
    if (!fs.existsSync(this.file)) return;
    const keep = fs
      .readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((l) => {
        if (l.trim() === '') return false;
        try { return (JSON.parse(l) as { step: number }).step <= step; } catch { return false; }
      });
    const tmp = `${this.file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, keep.map((l) => `${l}\n`).join(''));
    fs.renameSync(tmp, this.file);
  }

  /** Append one record. */
  write(step: number, scalars: Scalars, extra: Readonly<Record<string, unknown>> = {}): void {
    fs.appendFileSync(this.file, `${JSON.stringify({ step, time: Date.now() / 1000, ...extra, ...scalars })}\n`);
  }
}

/**
 * Writes a TensorBoard event file (`events.out.tfevents.<time>.<host>`) in `dir`,
 * starting with the `brain.Event:2` version record.
 *
 * @example
 * ```ts
 * const tb = new TensorBoardWriter('runs/a/tb');
 * tb.scalars(10, { 'loss/D': 1.2, 'loss/G': 0.7 });
 * // tensorboard --logdir runs/a/tb
 * ```
 */
export class TensorBoardWriter {
  /** The event file. */
  readonly file: string;
  constructor(dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    const now = Date.now() / 1000;
    this.file = path.join(dir, `events.out.tfevents.${Math.floor(now)}.${os.hostname()}.${process.pid}`);
    fs.writeFileSync(this.file, tfRecord(encodeEvent({ wallTime: now, step: 0, fileVersion: 'brain.Event:2' })));
  }
  /** Append one event holding all `scalars` at `step`. */
  scalars(step: number, scalars: Scalars): void {
    const values = Object.entries(scalars).map(([tag, value]) => ({ tag, value }));
    fs.appendFileSync(this.file, tfRecord(encodeEvent({ wallTime: Date.now() / 1000, step, scalars: values })));
  }
}
