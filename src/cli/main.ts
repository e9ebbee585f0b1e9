#!/usr/bin/env node
/**
 * `gan-segmenter` — the command line. Thin: every command is a pipeline.
 *
 * @module
 */
import { commands } from './commands/index.ts';
import { GanSegmenterError } from '../core/errors.ts';

const help = (): string =>
  ['usage: gan-segmenter <command> [options]', '', 'commands:', ...commands.map((c) => `  ${c.name.padEnd(18)} ${c.summary}`), '', 'gan-segmenter <command> --help for its options'].join('\n');

/** Run the CLI with `argv` (without `node` and the script); resolves to the exit code. */
export const main = async (argv: readonly string[]): Promise<number> => {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(help());
    return name === undefined ? 1 : 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    console.error(`gan-segmenter: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(cmd.usage);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof GanSegmenterError) {
      console.error(`gan-segmenter ${name}: ${e.message}`);
      return 1;
    }
    throw e;
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
