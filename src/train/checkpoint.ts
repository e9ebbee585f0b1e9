/**
 * Checkpoints that survive a crash at any moment. A checkpoint is a directory
 * `step-NNNNNNNN/` holding `tensors.bin` (raw little-endian float32, tensors
 * back to back) and `manifest.json` (names, shapes, offsets, crc32c of the
 * data, step and free-form JSON metadata: config, RNG and optimizer counters).
 * It is written under a temporary name, every file fsynced, then renamed into
 * place and the parent fsynced: a half-written checkpoint is never visible
 * under its final name, and loading verifies sizes and the checksum.
 *
 * Node-only (file I/O).
 *
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import process from 'node:process';
import * as tf from '@tensorflow/tfjs';
import type { StoredTensor } from '../io/state-dict.ts';
import { TrainingError } from './errors.ts';
import { crc32c } from './tensorboard.ts';

/** One tensor's entry in `manifest.json`. */
export interface ManifestTensor {
  /** Name, e.g. `G/conv1/w`, `optD/m/3`. */
  readonly name: string;
  /** Shape. */
  readonly shape: readonly number[];
  /** Byte offset in `tensors.bin`. */
  readonly offset: number;
  /** Number of float32 values. */
  readonly length: number;
}

/** The `manifest.json` of a checkpoint. */
export interface CheckpointManifest {
  /** Format version (1). */
  readonly format: 1;
  /** Training step the checkpoint was taken after. */
  readonly step: number;
  /** Byte size of `tensors.bin`. */
  readonly bytes: number;
  /** crc32c of `tensors.bin`. */
  readonly crc32c: number;
  /** Every tensor. */
  readonly tensors: readonly ManifestTensor[];
  /** Free-form JSON: config, RNG state, optimizer counters, running averages. */
  readonly meta: unknown;
}

/** A loaded checkpoint. */
export interface Checkpoint {
  /** Its directory. */
  readonly dir: string;
  /** Step. */
  readonly step: number;
  /** Tensors by name. */
  readonly tensors: ReadonlyMap<string, StoredTensor>;
  /** Metadata as saved. */
  readonly meta: unknown;
}

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /** Directory name prefix; default `step-` (`best-` for best-so-far checkpoints). */
  readonly prefix?: string;
  /** Keep only this many checkpoints with this prefix (oldest deleted after the new one is in place). Default 3. */
  readonly keep?: number;
  /** Test hook: called after the data is written, before the rename that publishes it. */
  readonly beforeCommit?: () => void;
}

const stepName = (prefix: string, step: number): string => `${prefix}${String(step).padStart(8, '0')}`;

const writeSynced = (file: string, data: Uint8Array | string): void => {
  const fd = fs.openSync(file, 'w');
  try {
    const buf = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    for (let off = 0; off < buf.length; ) off += fs.writeSync(fd, buf, off, buf.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
};

const fsyncDir = (dir: string): void => {
  try {
    const fd = fs.openSync(dir, 'r');
    try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  } catch {
    /* some platforms cannot open directories; the rename is still atomic */
  }
};

/**
 * Delete a checkpoint folder without ever leaving a partial one under its final name: rename it
 * to a temp name first (atomic), then delete that. A kill in between leaves only a `.tmp-` folder,
 * which listing ignores and the next run (holding the lock) removes.
 */
const removeCheckpointDir = (dir: string): void => {
  const trash = path.join(path.dirname(dir), `.tmp-del-${path.basename(dir)}-${process.pid}`);
  fs.rmSync(trash, { recursive: true, force: true });
  try {
    fs.renameSync(dir, trash);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  fs.rmSync(trash, { recursive: true, force: true });
};

/** A checkpoint folder and its step. */
export interface CheckpointRef {
  /** The folder. */
  readonly dir: string;
  /** Its step. */
  readonly step: number;
}

/**
 * List the checkpoints with `prefix` in `root`, newest first.
 *
 * @example
 * ```ts
 * listCheckpoints('runs/a/checkpoints'); // [{ dir: 'runs/a/checkpoints/step-00000200', step: 200 }, …]
 * ```
 */
export const listCheckpoints = (root: string, prefix = 'step-'): CheckpointRef[] => {
  if (!fs.existsSync(root)) return [];
  const re = new RegExp(`^${prefix}(\\d+)$`);
  return fs
    .readdirSync(root)
    .flatMap((n: string): CheckpointRef[] => {
      const m = re.exec(n);
      return m ? [{ dir: path.join(root, n), step: Number(m[1]) }] : [];
    })
    .sort((a, b) => b.step - a.step);
};

/**
 * Write a checkpoint of `tensors` (read synchronously) and `meta` under
 * `root/step-NNNNNNNN`, atomically. Returns its directory.
 *
 * @example
 * ```ts
 * saveCheckpoint('runs/a/checkpoints', 1000, { 'G/0': g.variables()[0] }, { config, rng: rng.getState() });
 * ```
 */
export const saveCheckpoint = (
  root: string,
  step: number,
  tensors: Readonly<Record<string, tf.Tensor>>,
  meta: unknown,
  options: SaveCheckpointOptions = {},
): string => {
  const prefix = options.prefix ?? 'step-';
  fs.mkdirSync(root, { recursive: true });
  const entries: ManifestTensor[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [name, x] of Object.entries(tensors)) {
    const data = Float32Array.from(x.dataSync() as ArrayLike<number>);
    entries.push({ name, shape: [...x.shape], offset, length: data.length });
    chunks.push(data);
    offset += data.byteLength;
  }
  const bin = new Uint8Array(offset);
  let o = 0;
  for (const c of chunks) {
    bin.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), o);
    o += c.byteLength;
  }
  const manifest: CheckpointManifest = { format: 1, step, bytes: bin.length, crc32c: crc32c(bin), tensors: entries, meta };
  const final = path.join(root, stepName(prefix, step));
  const tmp = path.join(root, `.tmp-${stepName(prefix, step)}-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  try {
    writeSynced(path.join(tmp, 'tensors.bin'), bin);
    writeSynced(path.join(tmp, 'manifest.json'), JSON.stringify(manifest));
    fsyncDir(tmp);
    options.beforeCommit?.();
    if (fs.existsSync(final)) removeCheckpointDir(final);
    fs.renameSync(tmp, final);
    fsyncDir(root);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new TrainingError(`saveCheckpoint(${final})`, `could not write the checkpoint: ${(e as Error).message}`, { cause: e });
  }
  const keep = options.keep ?? 3;
  for (const old of listCheckpoints(root, prefix).slice(keep)) removeCheckpointDir(old.dir);
  return final;
};

/**
 * Read and verify one checkpoint directory; throws {@link TrainingError} when
 * it is incomplete or corrupt.
 *
 * @example
 * ```ts
 * const ck = loadCheckpoint('runs/a/checkpoints/step-00001000');
 * ```
 */
export const loadCheckpoint = (dir: string): Checkpoint => {
  const where = `loadCheckpoint(${dir})`;
  let manifest: CheckpointManifest;
  let bin: Buffer;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as CheckpointManifest;
    bin = fs.readFileSync(path.join(dir, 'tensors.bin'));
  } catch (e) {
    throw new TrainingError(where, `unreadable checkpoint: ${(e as Error).message}`, { cause: e });
  }
  if (typeof manifest !== 'object' || manifest === null || !Array.isArray(manifest.tensors)) throw new TrainingError(where, 'manifest.json is not a checkpoint manifest');
  if (manifest.format !== 1) throw new TrainingError(where, `unknown format ${String(manifest.format)}, expected 1`);
  if (bin.length !== manifest.bytes) throw new TrainingError(where, `tensors.bin has ${bin.length} bytes, manifest says ${manifest.bytes}`);
  const u8 = new Uint8Array(bin.buffer, bin.byteOffset, bin.length);
  const crc = crc32c(u8);
  if (crc !== manifest.crc32c) throw new TrainingError(where, `tensors.bin checksum ${crc} does not match manifest ${manifest.crc32c}`);
  const aligned = new Uint8Array(u8); // copy to an aligned buffer
  const tensors = new Map<string, StoredTensor>();
  for (const e of manifest.tensors) {
    const fits = Number.isInteger(e.offset) && Number.isInteger(e.length) && e.offset >= 0 && e.length >= 0 && e.offset % 4 === 0 && e.offset + 4 * e.length <= aligned.length;
    if (!fits) throw new TrainingError(where, `tensor ${String(e.name)} (offset ${String(e.offset)}, ${String(e.length)} values) lies outside tensors.bin (${aligned.length} bytes)`);
    tensors.set(e.name, { dtype: 'float32', shape: e.shape, data: new Float32Array(aligned.buffer, e.offset, e.length) });
  }
  return { dir, step: manifest.step, tensors, meta: manifest.meta };
};

/**
 * The newest complete, verified checkpoint under `root`, or undefined when
 * there is none. Incomplete or corrupt ones are skipped, each reported to
 * `onSkip` (with the {@link TrainingError} saying what is wrong) before the
 * next older one is tried.
 *
 * @example
 * ```ts
 * const ck = loadLatestCheckpoint('runs/a/checkpoints', 'step-', (dir, e) => console.error(`skipping ${dir}: ${e.message}`));
 * if (ck) restore(ck);
 * ```
 */
export const loadLatestCheckpoint = (root: string, prefix = 'step-', onSkip?: (dir: string, error: TrainingError) => void): Checkpoint | undefined => {
  for (const c of listCheckpoints(root, prefix)) {
    try {
      return loadCheckpoint(c.dir);
    } catch (e) {
      /* try the next older one */
      onSkip?.(c.dir, e instanceof TrainingError ? e : new TrainingError(`loadCheckpoint(${c.dir})`, String(e), { cause: e }));
    }
  }
  return undefined;
};

/**
 * Assign checkpoint tensors to variables by name; every name must be present
 * with the right shape (all problems are listed in one error).
 *
 * @example
 * ```ts
 * restoreVariables(ck, { 'G/0': gVar0, 'G/1': gVar1 });
 * ```
 */
export const restoreVariables = (ck: Checkpoint, targets: Readonly<Record<string, tf.Variable>>): void => {
  const problems: string[] = [];
  for (const [name, v] of Object.entries(targets)) {
    const s = ck.tensors.get(name);
    if (!s) problems.push(`missing ${name}`);
    else if (s.shape.join() !== v.shape.join()) problems.push(`${name}: checkpoint [${s.shape}] vs model [${v.shape}]`);
  }
  if (problems.length > 0) throw new TrainingError(`restoreVariables(${ck.dir})`, `checkpoint does not fit the model: ${problems.join('; ')}`);
  tf.tidy(() => {
    for (const [name, v] of Object.entries(targets)) {
      const s = ck.tensors.get(name)!;
      v.assign(tf.tensor(s.data as Float32Array, [...s.shape], 'float32'));
    }
  });
};

/**
 * Fail early when `dir` cannot hold the run's output: create it, write and
 * fsync a probe file (up to 1 MiB), delete it, and check free space for
 * `bytes` more. Call before hours of training.
 *
 * @example
 * ```ts
 * probeOutput('runs/a', 3 * checkpointBytes);
 * ```
 */
export const probeOutput = (dir: string, bytes: number): void => {
  const where = `probeOutput(${dir})`;
  const probe = path.join(dir, `.probe-${process.pid}`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    writeSynced(probe, new Uint8Array(Math.min(2 ** 20, Math.max(1, Math.ceil(bytes)))));
  } catch (e) {
    throw new TrainingError(where, `output folder is not writable: ${(e as Error).message}`, { cause: e });
  } finally {
    try { fs.rmSync(probe, { force: true }); } catch { /* nothing was written */ }
  }
  try {
    const s = fs.statfsSync(dir);
    const free = s.bavail * s.bsize;
    if (free < bytes) throw new TrainingError(where, `only ${free} bytes free, a checkpoint needs about ${bytes}`);
  } catch (e) {
    if (e instanceof TrainingError) throw e;
  }
};
