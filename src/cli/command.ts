/**
 * The shape of a CLI command, and the help texts built from the commands' own usage
 * (what `--help` prints and what `tools/gen-cli-docs.ts` writes to `docs/guides/cli.md`).
 * Every command is thin: it parses its arguments and runs a pipeline from the library.
 *
 * @module
 */
import { GLOBAL_OPTIONS, type CliOutput } from './output.ts';

/** One `gan-segmenter <name>` command. */
export interface Command {
  /** The word after `gan-segmenter`. */
  readonly name: string;
  /** One line for `gan-segmenter --help`. */
  readonly summary: string;
  /** Usage text for `gan-segmenter <name> --help`: its first line starts `usage: gan-segmenter <name>`. */
  readonly usage: string;
  /**
   * Run with the arguments after the command word (global flags already taken out);
   * resolves to the exit code. `out` says how to write (quiet, JSON, progress bars);
   * without it, the defaults for this process.
   */
  run(argv: readonly string[], out?: CliOutput): Promise<number>;
}

const globalOptionLines = (): string[] => GLOBAL_OPTIONS.map(([flag, what]) => `  ${flag.padEnd(16)} ${what}`);

/**
 * `gan-segmenter --help`: the commands with their summaries, the global options, the exit codes.
 *
 * @example
 * ```ts
 * console.log(programHelp(commands));
 * ```
 */
export const programHelp = (commands: readonly Command[]): string =>
  [
    'usage: gan-segmenter <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(18)} ${c.summary}`),
    '',
    'global options (any command):',
    ...globalOptionLines(),
    '',
    'exit codes: 0 ok, 1 runtime error (a missing file, bad weights or data), 2 usage error (unknown or missing flag,',
    '  malformed or invalid key=value or config field), 130 interrupted (a training command checkpointed and stopped).',
    'Progress bars are drawn only on a terminal, without NO_COLOR and with TERM other than dumb.',
    '',
    'gan-segmenter <command> --help for its options',
  ].join('\n');

/**
 * `gan-segmenter <name> --help`: the command's usage text and the global options.
 *
 * @example
 * ```ts
 * console.log(commandHelp(evaluateCommand));
 * ```
 */
export const commandHelp = (cmd: Command): string => [cmd.usage, '', 'global options:', ...globalOptionLines()].join('\n');

/**
 * The usage line(s) of a command: its usage text up to the first blank line (what a usage error repeats).
 *
 * @example
 * ```ts
 * usageLine(segmentCommand); // 'usage: gan-segmenter segment <images-dir> --model … --out <dir> …'
 * ```
 */
export const usageLine = (cmd: Command): string => cmd.usage.split(/\n\s*\n/)[0] ?? cmd.usage;
