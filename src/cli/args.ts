/**
 * The one argv splitter of every CLI command: positionals, `--flag value` / `--flag=value`
 * / bare `--flag`, and Hydra-style `key=value` overrides.
 *
 * @module
 */
import { ConfigError } from '../core/errors.ts';

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
        if (v === undefined || v.startsWith('--')) throw new ConfigError('arguments', [{ path: a, expected: 'a value', given: 'nothing' }]);
        flags[a.slice(2)] = v;
        i++;
      }
    } else if (/^[A-Za-z_][\w.-]*=/.test(a)) overrides.push(a);
    else positional.push(a);
  }
  return { positional, flags, overrides };
};

/**
 * A required flag, or a {@link ConfigError} naming it.
 *
 * @example
 * ```ts
 * const out = requireFlag(splitArgs(['--out', 'masks']), 'out', 'segment'); // 'masks'
 * ```
 */
export const requireFlag = (a: SplitArgs, name: string, where: string): string => {
  const v = a.flags[name];
  if (v === undefined) throw new ConfigError(where, [{ path: `--${name}`, expected: 'a value', given: 'missing' }]);
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
 * positional and unexpected override is one issue of a single {@link ConfigError}.
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
  if (issues.length > 0) throw new ConfigError(where, issues);
  return a;
};
