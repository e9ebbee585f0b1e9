/**
 * What every command shares about its output, decided once in `main`: the global flags
 * (`--quiet`/`-q`, `--json`, `--version`/`-V`, `--help`/`-h`), whether progress may be drawn
 * as a bar with terminal escapes (stderr a TTY, `NO_COLOR` unset or empty, `TERM` not `dumb`,
 * not quiet), and the package version. A command receives a {@link CliOutput} and writes
 * through it: progress and info on stderr (nothing with `--quiet`), its result on stdout
 * (one JSON object with `--json`).
 *
 * @module
 */
import { readFileSync } from 'node:fs';

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

/** How a command writes: decided from the global flags and the environment. */
export interface CliOutput {
  /** `--quiet`: no progress or info lines on stderr (errors, warnings and the result stay). */
  readonly quiet: boolean;
  /** `--json`: stdout carries exactly one JSON object, the result. */
  readonly json: boolean;
  /** Whether progress may be drawn as a bar (terminal escapes): stderr is a TTY, `NO_COLOR` unset or empty, `TERM` not `dumb`, not quiet. */
  readonly bars: boolean;
  /** A progress or info line on stderr; nothing when quiet. */
  info(line: string): void;
  /** A warning on stderr, kept when quiet. */
  warn(line: string): void;
  /** The result on stdout: `value` as one line of JSON with `--json` or when there is no `human` text, else `human`. */
  result(value: unknown, human?: string): void;
}

/** Options of {@link cliOutput}. */
export interface CliOutputOptions {
  /** `--quiet`. Default false. */
  readonly quiet?: boolean;
  /** `--json`. Default false. */
  readonly json?: boolean;
  /** The environment (`NO_COLOR`, `TERM`). Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Whether stderr is a terminal. Default `process.stderr.isTTY`. */
  readonly isTTY?: boolean;
}

/**
 * Whether a progress bar (terminal escapes) may be drawn: a terminal, no `NO_COLOR`
 * (https://no-color.org: set and not empty), `TERM` not `dumb`.
 *
 * @example
 * ```ts
 * canDrawBars({ NO_COLOR: '1' }, true); // false
 * canDrawBars({ TERM: 'xterm-256color' }, true); // true
 * ```
 */
export const canDrawBars = (env: Readonly<Record<string, string | undefined>>, isTTY: boolean): boolean =>
  isTTY && !(env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') && env['TERM'] !== 'dumb';

/**
 * The output of one command run. Lines go through `console.log` / `console.error`, so
 * whoever replaces those (a test, a notebook) sees them; `warn` keeps the `console.error` of
 * the moment the output was made, so it still prints while `main` mutes `console.error` for `--quiet`.
 *
 * @example
 * ```ts
 * const out = cliOutput({ quiet: true });
 * out.info('step 1/10'); // nothing
 * out.result({ masks: 3 }, 'wrote 3 masks'); // 'wrote 3 masks' on stdout
 * ```
 */
export const cliOutput = (options: CliOutputOptions = {}): CliOutput => {
  const quiet = options.quiet ?? false, json = options.json ?? false;
  const bars = !quiet && canDrawBars(options.env ?? process.env, options.isTTY ?? Boolean(process.stderr.isTTY));
  const error = console.error;
  return {
    quiet,
    json,
    bars,
    info: (line) => { if (!quiet) console.error(line); },
    warn: (line) => error(line),
    result: (value, human) => console.log(json || human === undefined ? JSON.stringify(value) : human),
  };
};

// ---------------------------------------------------------------------------
// Global flags
// ---------------------------------------------------------------------------

/** The flags `main` takes out of argv before a command sees it. */
export interface GlobalFlags {
  /** `--quiet` / `-q`. */
  readonly quiet: boolean;
  /** `--json`. */
  readonly json: boolean;
  /** `--version` / `-V`. */
  readonly version: boolean;
  /** `--help` / `-h`. */
  readonly help: boolean;
  /** Everything else, in order. */
  readonly rest: readonly string[];
}

/** The global options, one line each, as `--help` shows them. */
export const GLOBAL_OPTIONS: readonly (readonly [string, string])[] = [
  ['-h, --help', 'print the usage text of the program or of a command, exit 0'],
  ['-V, --version', "print the package's version, exit 0"],
  ['-q, --quiet', 'no progress or info on stderr (errors and the result stay)'],
  ['--json', 'stdout is one JSON object: the result (metrics, output paths)'],
];

/**
 * Take the global flags out of argv (anywhere: before or after the command word).
 *
 * @example
 * ```ts
 * splitGlobalFlags(['-q', 'evaluate', '--pred', 'p', '--json']); // { quiet: true, json: true, version: false, help: false, rest: ['evaluate', '--pred', 'p'] }
 * ```
 */
export const splitGlobalFlags = (argv: readonly string[]): GlobalFlags => {
  const has = (...names: string[]): boolean => argv.some((a) => names.includes(a));
  const global = new Set(['--quiet', '-q', '--json', '--version', '-V', '--help', '-h']);
  return {
    quiet: has('--quiet', '-q'),
    json: has('--json'),
    version: has('--version', '-V'),
    help: has('--help', '-h'),
    rest: argv.filter((a) => !global.has(a)),
  };
};

// ---------------------------------------------------------------------------
// Version
// ---------------------------------------------------------------------------

/**
 * The version in the package's `package.json`, found relative to this module: `src/cli/` (tsx,
 * Deno) and `dist/cli/` (the build, an installed package) both sit two folders below it.
 *
 * @example
 * ```ts
 * packageVersion(); // '0.1.0'
 * ```
 */
export const packageVersion = (): string => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
};
