#!/usr/bin/env node
/**
 * `gan-segmenter` — the command line. Thin: every command is a pipeline.
 *
 * Conventions, kept here once for every command: the global flags (`--help`/`-h`,
 * `--version`/`-V`, `--quiet`/`-q`, `--json`) are taken out of argv before dispatch and
 * passed on as a {@link CliOutput}; exit codes are 0 ok, 1 runtime error, 2 usage error
 * (a {@link UsageError}: printed with the command's usage line), 130 interrupted.
 *
 * @module
 */
import { commands } from './commands/index.ts';
import { commandHelp, programHelp, usageLine } from './command.ts';
import { UsageError } from './args.ts';
import { cliOutput, packageVersion, splitGlobalFlags, type CliOutput } from './output.ts';
import { GanSegmenterError } from '../core/errors.ts';

/**
 * Run the CLI with `argv` (without `node` and the script); resolves to the exit code.
 * `output` overrides how the environment is read (a test passes `isTTY`, `env`).
 *
 * @example
 * ```ts
 * process.exitCode = await main(['evaluate', '--pred', 'out/pred', '--gt', 'data/masks', '--json']);
 * ```
 */
export const main = async (argv: readonly string[], output: { env?: Readonly<Record<string, string | undefined>>; isTTY?: boolean } = {}): Promise<number> => {
  const g = splitGlobalFlags(argv);
  const [name, ...rest] = g.rest;
  if (g.version && name === undefined) {
    console.log(packageVersion());
    return 0;
  }
  if (name === undefined) {
    if (g.help) {
      console.log(programHelp(commands));
      return 0;
    }
    console.error(programHelp(commands));
    return 2;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    console.error(`gan-segmenter: unknown command '${name}'\n\n${programHelp(commands)}`);
    return 2;
  }
  if (g.help) {
    console.log(commandHelp(cmd));
    return 0;
  }
  if (g.version) {
    console.log(packageVersion());
    return 0;
  }
  const out: CliOutput = cliOutput({ quiet: g.quiet, json: g.json, ...output });
  // 'gan-segmenter evaluate: …', not 'gan-segmenter evaluate: evaluate: …' when the error is the command's own.
  const prefix = (e: Error): string => (e instanceof GanSegmenterError && e.where === name ? 'gan-segmenter ' : `gan-segmenter ${name}: `);
  // --quiet for every command, also one that writes progress with console.error itself: muted while it
  // runs (its errors come back as exceptions and are printed below; `out.warn` still prints).
  const error = console.error;
  if (g.quiet) console.error = () => {};
  try {
    return await cmd.run(rest, out);
  } catch (e) {
    console.error = error;
    if (e instanceof UsageError) {
      console.error(`${prefix(e)}${e.message}\n${usageLine(cmd)}\n(gan-segmenter ${name} --help for all options)`);
      return 2;
    }
    // Our typed errors, and the file system's (ENOENT, EACCES, …): a message, no stack; anything else is a bug.
    if (e instanceof GanSegmenterError || (e instanceof Error && typeof (e as { syscall?: unknown }).syscall === 'string')) {
      console.error(`${prefix(e)}${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    console.error = error;
  }
};

const isEntry = (() => {
  const g = globalThis as { process?: { argv?: string[] } };
  const script = g.process?.argv?.[1] ?? '';
  return /cli[\\/]main\.(ts|js)$/.test(script) || /gan-segmenter$/.test(script);
})();
if (isEntry) {
  const g = globalThis as unknown as { process: { argv: string[]; exitCode?: number } };
  main(g.process.argv.slice(2)).then((code) => { g.process.exitCode = code; });
}
