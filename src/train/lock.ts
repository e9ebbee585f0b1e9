/**
 * One writer per output folder. A run takes `<dir>/.gan-segmenter.lock`, created with
 * `O_CREAT | O_EXCL` (`'wx'`) so two processes cannot both create it, holding JSON
 * `{ pid, host, started, command, token }`. A second run on the same folder gets a
 * {@link LockedError} naming the lock file and its holder. A lock whose holder is gone
 * (same host, pid no longer alive — a SIGKILLed or crashed run) is stale: it is taken
 * over and the taker is told (`onStale`). A lock from another host is never taken over
 * (its pid cannot be checked): remove the file by hand once that run is known to be dead.
 * The lock is released by {@link RunLock.release}, and on process exit (including
 * `process.exit` after a second Ctrl-C).
 *
 * Node-only (file I/O).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import process from 'node:process';
import { TrainingError } from './errors.ts';

/** The lock file's name inside the folder it guards. */
export const LOCK_FILE = '.gan-segmenter.lock';

/** What a lock file holds. */
export interface LockInfo {
  /** Process id of the holder. */
  readonly pid: number;
  /** `os.hostname()` of the holder. */
  readonly host: string;
  /** ISO time the lock was taken. */
  readonly started: string;
  /** What took it (e.g. `trainGan`). */
  readonly command: string;
  /** Unique per acquisition, so a release never removes someone else's lock. */
  readonly token: string;
}

/** A second run tried to write to a folder another live run holds. */
export class LockedError extends TrainingError {
  /** The lock file. */
  readonly path: string;
  /** Its holder, when the file could be read. */
  readonly holder: LockInfo | undefined;
  constructor(lockPath: string, holder: LockInfo | undefined, why: string) {
    super(
      `lock(${lockPath})`,
      `${why}; another run is writing to ${path.dirname(lockPath)} — wait for it, stop it, or choose another output folder` +
        (holder ? ` (held by pid ${holder.pid} on ${holder.host} since ${holder.started}, ${holder.command})` : ''),
    );
    this.path = lockPath;
    this.holder = holder;
  }
}

/** A held lock. */
export interface RunLock {
  /** The lock file. */
  readonly path: string;
  /** The stale lock this acquisition replaced, if any. */
  readonly tookOver: LockInfo | undefined;
  /** Remove the lock (idempotent; leaves a lock that is no longer ours alone). */
  release(): void;
}

/** Options of {@link acquireRunLock}. */
export interface AcquireLockOptions {
  /** Written into the lock, shown to a refused run. Default `gan-segmenter`. */
  readonly command?: string;
  /** Told when a stale lock (dead holder) is taken over. */
  readonly onStale?: (lockPath: string, holder: LockInfo | undefined) => void;
}

/** Lock files this process holds (a second acquisition of one of them in the same process is refused too). */
const held = new Map<string, string>();
let exitHookInstalled = false;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const readLock = (file: string): LockInfo | undefined => {
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockInfo>;
    return typeof j.pid === 'number' && typeof j.host === 'string' && typeof j.token === 'string' ? (j as LockInfo) : undefined;
  } catch {
    return undefined;
  }
};

/** Why `info` is stale (its holder is dead), or undefined when it may be live. */
const staleReason = (file: string, info: LockInfo | undefined): string | undefined => {
  if (info === undefined) {
    // Unreadable: a holder between its O_EXCL create and its write, or a torn file from a crash.
    let age = 0;
    try { age = Date.now() - fs.statSync(file).mtimeMs; } catch { return 'vanished'; }
    return age > 2_000 ? `unreadable and ${Math.round(age / 1000)} s old` : undefined; // a live holder writes it within microseconds
  }
  if (info.host !== os.hostname()) return undefined;
  if (info.pid === process.pid) return held.get(file) === info.token ? undefined : 'left by an earlier process with this pid';
  return alive(info.pid) ? undefined : `pid ${info.pid} is not running`;
};

/** A recursive mkdir on a read-only file system reports ENOENT: say what the nearest existing ancestor refuses. */
const whyNotCreated = (dir: string, e: Error): string => {
  let anc = path.resolve(dir);
  while (!fs.existsSync(anc) && path.dirname(anc) !== anc) anc = path.dirname(anc);
  try {
    fs.accessSync(anc, fs.constants.W_OK);
    const probe = path.join(anc, `.probe-${process.pid}`);
    fs.mkdirSync(probe);
    fs.rmdirSync(probe);
  } catch (a) {
    return `${anc} is not writable (${(a as Error).message})`;
  }
  return e.message;
};

const releaseAll = (): void => {
  for (const [file, token] of held) {
    try { if (readLock(file)?.token === token) fs.unlinkSync(file); } catch { /* best effort at exit */ }
  }
  held.clear();
};

/**
 * Take the lock of `dir` (created if missing); throws {@link LockedError} when a live run holds it,
 * {@link TrainingError} when the folder cannot hold a lock file (read-only, full).
 *
 * @example
 * ```ts
 * const lock = acquireRunLock('runs/a', { command: 'trainGan', onStale: (p) => console.error(`took over stale ${p}`) });
 * try { await work(); } finally { lock.release(); }
 * ```
 */
export const acquireRunLock = (dir: string, options: AcquireLockOptions = {}): RunLock => {
  const file = path.resolve(dir, LOCK_FILE);
  const info: LockInfo = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), command: options.command ?? 'gan-segmenter', token: randomUUID() };
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new TrainingError(`lock(${file})`, `cannot create the output folder: ${whyNotCreated(dir, e as Error)}`, { cause: e });
  }
  let tookOver: LockInfo | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeSync(fd, JSON.stringify(info));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        try { if (readLock(file)?.token === info.token) fs.unlinkSync(file); } catch { /* nothing to undo */ }
        throw new TrainingError(`lock(${file})`, `cannot write the lock file: ${(e as Error).message}`, { cause: e });
      }
      const holder = readLock(file);
      const why = staleReason(file, holder);
      if (why === undefined || attempt >= 3) throw new LockedError(file, holder, attempt >= 3 ? 'the lock keeps changing hands' : 'the folder is locked');
      // Take over only the lock we judged stale: re-read just before removing it.
      const again = readLock(file);
      if (again?.token !== holder?.token) continue;
      try { fs.unlinkSync(file); } catch { /* someone else took it over first: try again */ }
      tookOver = holder;
      options.onStale?.(file, holder);
    }
  }
  held.set(file, info.token);
  if (!exitHookInstalled) {
    process.on('exit', releaseAll);
    exitHookInstalled = true;
  }
  return {
    path: file,
    tookOver,
    release: () => {
      if (held.get(file) !== info.token) return;
      held.delete(file);
      try { if (readLock(file)?.token === info.token) fs.unlinkSync(file); } catch { /* already gone (folder deleted) */ }
    },
  };
};
