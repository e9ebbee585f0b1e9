/**
 * Typed errors. Every message starts with where it happened (`where: …`), then
 * says what was expected and what was found. `instanceof` works after any
 * transpilation because each constructor restores its prototype.
 *
 * @module
 */

/**
 * Base class of every error the library throws on purpose.
 *
 * @example
 * ```ts
 * try { doWork(); } catch (e) { if (e instanceof GanSegmenterError) console.error(e.where, e.message); }
 * ```
 */
export class GanSegmenterError extends Error {
  /** Where the error happened: a function, file or config path. */
  readonly where: string;
  constructor(where: string, detail: string, options?: { cause?: unknown }) {
    super(`${where}: ${detail}`, options);
    this.where = where;
    this.name = new.target.name;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** One wrong field of a configuration. */
export interface ConfigIssue {
  /** Dotted path of the field, e.g. `unet.width`; `<root>` for the whole value. */
  readonly path: string;
  /** What the codec expected, e.g. `PositiveInt`. */
  readonly expected: string;
  /** The value that was given, as JSON (truncated). */
  readonly given: string;
}

/**
 * A configuration did not decode. Lists every wrong field.
 *
 * @example
 * ```ts
 * const r = decode(MyConfig, { width: -1 });
 * if (isLeft(r)) for (const i of r.left.issues) console.log(i.path, i.expected, i.given);
 * ```
 */
export class ConfigError extends GanSegmenterError {
  /** Every wrong field. */
  readonly issues: readonly ConfigIssue[];
  constructor(where: string, issues: readonly ConfigIssue[]) {
    super(
      where,
      `${issues.length} invalid field${issues.length === 1 ? '' : 's'}:\n` +
        issues.map((i) => `  - ${i.path}: expected ${i.expected}, given ${i.given}`).join('\n'),
    );
    this.issues = issues;
  }
}

/**
 * A tensor's shape is not what an operation needs.
 *
 * @example
 * ```ts
 * throw new ShapeError('conv2d', 'x must be rank 4 [N,H,W,C], got [3,4]');
 * ```
 */
export class ShapeError extends GanSegmenterError {}

/**
 * Weights do not fit a model, or a weight file is corrupt.
 *
 * @example
 * ```ts
 * throw new WeightsError('loadSafetensors(g.safetensors)', 'header length 9e9 exceeds file size 1024');
 * ```
 */
export class WeightsError extends GanSegmenterError {}

/**
 * A data file is missing, unreadable, or inconsistent.
 *
 * @example
 * ```ts
 * throw new DataError('SegmentationFolder(horses)', 'no mask for image horse001.jpg');
 * ```
 */
export class DataError extends GanSegmenterError {
  /** The file the error is about, when there is one. */
  readonly file: string | undefined;
  constructor(where: string, detail: string, file?: string, options?: { cause?: unknown }) {
    super(where, detail, options);
    this.file = file;
  }
}

/**
 * A backend was asked for that cannot be used here.
 *
 * @example
 * ```ts
 * throw new BackendError('initBackend', "'tensorflow' is not installed: run npm install @tensorflow/tfjs-node");
 * ```
 */
export class BackendError extends GanSegmenterError {}
