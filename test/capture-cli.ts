// Running the `gan-segmenter` command in-process for the tests: what it printed on stdout and
// stderr, and its exit code.
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
