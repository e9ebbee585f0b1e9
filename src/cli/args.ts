/**
 * The one argv splitter of every CLI command: positionals, `--flag value` / `--flag=value`
 * / bare `--flag`, and Hydra-style `key=value` overrides; and the {@link UsageError} that
 * makes `main` exit 2 with the command's usage line.
 *
 * @module
 */
import { accessSync, constants, statSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { ConfigError, DataError, type ConfigIssue } from '../core/errors.ts';
import { loadConfig } from './config.ts';

/**
 * The command line itself is wrong: an unknown flag, a flag without its value, a missing
 * required flag, a bad flag value, a malformed `key=value`, a config (file and overrides)
 * that does not decode. `main` prints it with the command's usage line and exits 2; any
 * other error is a runtime error (exit 1). A {@link ConfigError}, so code that catches
 * those sees it too.
 *
 * @example
 * ```ts
 * throw new UsageError('segment', [{ path: '--threshold', expected: 'a number in [0, 1]', given: '"2"' }]);
 * ```
 */
export class UsageError extends ConfigError {
  /**
   * The same issues as a usage error.
   *
   * @example
   * ```ts
   * const cfg = loadConfig(Codec, file, overrides);
   * if (E.isLeft(cfg)) throw UsageError.from(cfg.left);
   * ```
   */
  static from(e: ConfigError): UsageError {
    return e instanceof UsageError ? e : new UsageError(e.where, e.issues);
  }
}

/** Shorthand: one issue. */
const usage = (where: string, issue: ConfigIssue): UsageError => new UsageError(where, [issue]);

/** Split command-line arguments. */
export interface SplitArgs {
  /** Words that are neither flags nor overrides. */
  readonly positional: readonly string[];
  /** `--name value` flags (bare flags map to `'true'`). */
  readonly flags: Readonly<Record<string, string>>;
  /** `a.b=c` overrides, in order. */
  readonly overrides: readonly string[];
}

/**
 * Split argv. `booleans` lists flags that take no value.
 *
 * @example
 * ```ts
 * splitArgs(['imgs', '--model', 'ck', 'threshold=0.4']); // { positional: ['imgs'], flags: { model: 'ck' }, overrides: ['threshold=0.4'] }
 * ```
 */
export const splitArgs = (argv: readonly string[], booleans: readonly string[] = []): SplitArgs => {
  const positional: string[] = [], overrides: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
      else if (booleans.includes(a.slice(2))) flags[a.slice(2)] = 'true';
      else {
        const v = argv[i + 1];
        if (v === undefined || v.startsWith('--')) throw usage('arguments', { path: a, expected: 'a value', given: 'nothing' });
        flags[a.slice(2)] = v;
        i++;
      }
    } else if (/^[A-Za-z_][\w.-]*=/.test(a)) overrides.push(a);
    else positional.push(a);
  }
  return { positional, flags, overrides };
};

/**
 * A required flag, or a {@link UsageError} naming it.
 *
 * @example
 * ```ts
 * const out = requireFlag(splitArgs(['--out', 'masks']), 'out', 'segment'); // 'masks'
 * ```
 */
export const requireFlag = (a: SplitArgs, name: string, where: string): string => {
  const v = a.flags[name];
  if (v === undefined) throw usage(where, { path: `--${name}`, expected: 'a value', given: 'missing' });
  return v;
};

/** What a command accepts, for {@link expectArgs}. */
export interface ArgsShape {
  /** Flag names (without `--`) the command knows. */
  readonly flags: readonly string[];
  /** How many positionals it takes at most. Default 0. */
  readonly positional?: number;
  /** Whether it takes `key=value` overrides. Default false. */
  readonly overrides?: boolean;
}

/**
 * Check split arguments against what a command accepts: every unknown flag, extra
 * positional and unexpected override is one issue of a single {@link UsageError}.
 *
 * @example
 * ```ts
 * expectArgs(splitArgs(['--pred', 'p', '--gt', 'g']), { flags: ['pred', 'gt', 'json'] }, 'evaluate'); // ok
 * expectArgs(splitArgs(['--prd', 'p']), { flags: ['pred'] }, 'evaluate'); // throws: --prd
 * ```
 */
export const expectArgs = (a: SplitArgs, shape: ArgsShape, where: string): SplitArgs => {
  const known = shape.flags.map((f) => `--${f}`).join(', ');
  const issues = [
    ...Object.keys(a.flags).filter((f) => !shape.flags.includes(f)).map((f) => ({ path: `--${f}`, expected: `one of ${known}`, given: 'an unknown flag' })),
    ...a.positional.slice(shape.positional ?? 0).map((p) => ({ path: '<arguments>', expected: shape.positional ? `at most ${shape.positional} positional argument(s)` : 'flags only', given: JSON.stringify(p) })),
    ...(shape.overrides ? [] : a.overrides.map((o) => ({ path: '<arguments>', expected: `flags (${known})`, given: JSON.stringify(o) }))),
  ];
  if (issues.length > 0) throw new UsageError(where, issues);
  return a;
};

/**
 * The number given as `--name`, or `dflt` when the flag is absent; a value that is not a number or fails
 * `ok` throws `fail("--name must be <what>, got '<value>'")`.
 *
 * @example
 * ```ts
 * const n = numberFlag(split.flags, 'n', 8, (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1', usageError);
 * ```
 */
export const numberFlag = (flags: Readonly<Record<string, string>>, name: string, dflt: number, ok: (n: number) => boolean, what: string, fail: (detail: string) => Error): number => {
  const x = flags[name];
  if (x === undefined) return dflt;
  const n = Number(x);
  if (!ok(n)) throw fail(`--${name} must be ${what}, got '${x}'`);
  return n;
};

/**
 * A command's config: `file` (JSON or YAML) with `key=value` overrides, decoded over
 * `defaults` by `loadConfig`. A file that cannot be read is a runtime {@link DataError}
 * (exit 1); a config that does not parse or decode is a {@link UsageError} (exit 2).
 *
 * @example
 * ```ts
 * const cfg = commandConfig(LatentDirectionConfig, 'ld.yaml', ['iterations=10'], PAPER_CONFIG, 'find-direction');
 * ```
 */
export const commandConfig = <A, O>(codec: t.Type<A, O, unknown>, file: string | undefined, overrides: readonly string[], defaults: unknown = {}, where = codec.name): A => {
  if (file !== undefined) {
    let problem: string | undefined;
    try {
      accessSync(file, constants.R_OK);
      if (!statSync(file).isFile()) problem = 'is not a file';
    } catch (e) {
      problem = (e as Error).message;
    }
    if (problem !== undefined) throw new DataError(where, `cannot read the config file ${file} (${problem})`, file);
  }
  const r = loadConfig(codec, file, overrides, defaults, where);
  if (E.isLeft(r)) throw UsageError.from(r.left);
  return r.right;
};
