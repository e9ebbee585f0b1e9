// Running the `gan-segmenter` command in-process for the tests: what it printed on stdout and
// stderr, and its exit code; and a temporary folder with the CLI's backend forced.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.ts';

/** Output of one in-process CLI run. */
export interface CliRun {
  /** Exit code `main` returned. */
  readonly code: number;
  /** Everything written with console.log, one line per call. */
  readonly out: string;
  /** Everything written with console.error, one line per call. */
  readonly err: string;
}

/** Run `main(argv)` with console.log / console.error captured (restored afterwards, also on a throw). */
export const captureMain = async (argv: string[]): Promise<CliRun> => {
  const log = console.log, error = console.error;
  let out = '', err = '';
  console.log = (...a: unknown[]) => { out += a.join(' ') + '\n'; };
  console.error = (...a: unknown[]) => { err += a.join(' ') + '\n'; };
  try { return { code: await main(argv), out, err }; } finally { console.log = log; console.error = error; }
};

/** Run `f` in a fresh temporary folder with the CLI's backend (`GAN_SEGMENTER_BACKEND`) forced; both undone afterwards. */
export const inTmpWithBackend = async (prefix: string, backend: string, f: (dir: string) => Promise<void>): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const prev = process.env.GAN_SEGMENTER_BACKEND;
  process.env.GAN_SEGMENTER_BACKEND = backend;
  try {
    await f(dir);
  } finally {
    if (prev === undefined) delete process.env.GAN_SEGMENTER_BACKEND; else process.env.GAN_SEGMENTER_BACKEND = prev;
    rmSync(dir, { recursive: true, force: true });
  }
};
