/**
 * The shape of a CLI command. Every command is thin: it parses its arguments
 * and runs a pipeline from the library.
 *
 * @module
 */

/** One `gan-segmenter <name>` command. */
export interface Command {
  /** The word after `gan-segmenter`. */
  readonly name: string;
  /** One line for `gan-segmenter --help`. */
  readonly summary: string;
  /** Usage text for `gan-segmenter <name> --help`. */
  readonly usage: string;
  /** Run with the arguments after the command word; resolves to the exit code. */
  run(argv: readonly string[]): Promise<number>;
}
