/**
 * Configuration codecs: io-ts brands for the common invariants and a
 * {@link decode} that reports every wrong field as a {@link ConfigError}.
 *
 * @module
 */
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { ConfigError, type ConfigIssue } from './errors.ts';

// ---------------------------------------------------------------------------
// Brands
// ---------------------------------------------------------------------------

/** Brand marker of {@link PositiveInt}. */
export interface PositiveIntBrand {
  /** Type-level marker only. */
  readonly PositiveInt: unique symbol;
}
/**
 * An integer ≥ 1.
 *
 * @example
 * ```ts
 * const Cfg = t.type({ batch: PositiveInt });
 * ```
 */
export const PositiveInt = t.brand(t.number, (n): n is t.Branded<number, PositiveIntBrand> => Number.isInteger(n) && n >= 1, 'PositiveInt');
/** An integer ≥ 1. */
export type PositiveInt = t.TypeOf<typeof PositiveInt>;

/** Brand marker of {@link NonNegativeInt}. */
export interface NonNegativeIntBrand {
  /** Type-level marker only. */
  readonly NonNegativeInt: unique symbol;
}
/**
 * An integer ≥ 0.
 *
 * @example
 * ```ts
 * const Cfg = t.type({ warmup: NonNegativeInt });
 * ```
 */
export const NonNegativeInt = t.brand(t.number, (n): n is t.Branded<number, NonNegativeIntBrand> => Number.isInteger(n) && n >= 0, 'NonNegativeInt');
/** An integer ≥ 0. */
export type NonNegativeInt = t.TypeOf<typeof NonNegativeInt>;

/** Brand marker of {@link PowerOfTwo}. */
export interface PowerOfTwoBrand {
  /** Type-level marker only. */
  readonly PowerOfTwo: unique symbol;
}
/**
 * An integer power of two (1, 2, 4, …).
 *
 * @example
 * ```ts
 * const Cfg = t.type({ channels: PowerOfTwo });
 * ```
 */
export const PowerOfTwo = t.brand(t.number, (n): n is t.Branded<number, PowerOfTwoBrand> => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0, 'PowerOfTwo');
/** An integer power of two. */
export type PowerOfTwo = t.TypeOf<typeof PowerOfTwo>;

/** Brand marker of {@link Probability}. */
export interface ProbabilityBrand {
  /** Type-level marker only. */
  readonly Probability: unique symbol;
}
/**
 * A number in [0, 1].
 *
 * @example
 * ```ts
 * const Cfg = t.type({ flipProbability: Probability });
 * ```
 */
export const Probability = t.brand(t.number, (n): n is t.Branded<number, ProbabilityBrand> => Number.isFinite(n) && n >= 0 && n <= 1, 'Probability');
/** A number in [0, 1]. */
export type Probability = t.TypeOf<typeof Probability>;

/** Brand marker of {@link PositiveNumber}. */
export interface PositiveNumberBrand {
  /** Type-level marker only. */
  readonly PositiveNumber: unique symbol;
}
/**
 * A finite number > 0.
 *
 * @example
 * ```ts
 * const Cfg = t.type({ lr: PositiveNumber });
 * ```
 */
export const PositiveNumber = t.brand(t.number, (n): n is t.Branded<number, PositiveNumberBrand> => Number.isFinite(n) && n > 0, 'PositiveNumber');
/** A finite number > 0. */
export type PositiveNumber = t.TypeOf<typeof PositiveNumber>;

/** Brand marker of {@link Resolution}. */
export interface ResolutionBrand {
  /** Type-level marker only. */
  readonly Resolution: unique symbol;
}
/**
 * An image side length: a power of two from 4 to 4096.
 *
 * @example
 * ```ts
 * const Cfg = t.type({ resolution: Resolution });
 * ```
 */
export const Resolution = t.brand(t.number, (n): n is t.Branded<number, ResolutionBrand> => Number.isInteger(n) && n >= 4 && n <= 4096 && (n & (n - 1)) === 0, 'Resolution');
/** An image side length: a power of two from 4 to 4096. */
export type Resolution = t.TypeOf<typeof Resolution>;

// ---------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------

const show = (v: unknown): string => {
  if (v === undefined) return 'undefined';
  let s: string;
  try { s = JSON.stringify(v) ?? String(v); } catch { s = String(v); }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

/** Turn io-ts validation errors into one {@link ConfigIssue} per wrong field (deepest context). */
export const toIssues = (errors: t.Errors): ConfigIssue[] => {
  const seen = new Set<string>();
  const out: ConfigIssue[] = [];
  for (const e of errors) {
    const parts: string[] = [];
    for (let i = 1; i < e.context.length; i++) {
      const parent = e.context[i - 1]?.type as unknown as { _tag?: string } | undefined;
      const k = e.context[i]?.key ?? '';
      if (k === '' || parent?._tag === 'IntersectionType' || parent?._tag === 'UnionType') continue;
      parts.push(k);
    }
    const path = parts.join('.') || '<root>';
    const last = e.context[e.context.length - 1];
    const expected = last?.type.name ?? 'unknown';
    const key = `${path}|${expected}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, expected, given: show(e.value) });
  }
  return out;
};

/**
 * Decode `input` with `codec`. On failure the {@link ConfigError} lists every
 * wrong field with its path, the expected type and the given value.
 *
 * @example
 * ```ts
 * import * as t from 'io-ts';
 * const Cfg = t.type({ batch: PositiveInt, lr: PositiveNumber });
 * const r = decode(Cfg, { batch: 0, lr: 'x' }, 'train');
 * // r is Left(ConfigError("train: 2 invalid fields: batch … lr …"))
 * ```
 */
export const decode = <A>(codec: t.Decoder<unknown, A>, input: unknown, where = codec.name): E.Either<ConfigError, A> =>
  E.mapLeft((errs: t.Errors) => new ConfigError(where, toIssues(errs)))(codec.decode(input));

/**
 * Decode or throw the {@link ConfigError}.
 *
 * @example
 * ```ts
 * const cfg = decodeOrThrow(Cfg, JSON.parse(text), 'config.json');
 * ```
 */
export const decodeOrThrow = <A>(codec: t.Decoder<unknown, A>, input: unknown, where = codec.name): A => {
  const r = decode(codec, input, where);
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Merge `over` into `base` recursively: objects merge field by field, anything else
 * (arrays, `null`, numbers …) replaces; `undefined` keeps `base`.
 *
 * @example
 * ```ts
 * deepMerge({ a: { b: 1, c: 2 } }, { a: { c: 3 } }); // { a: { b: 1, c: 3 } }
 * ```
 */
export const deepMerge = (base: unknown, over: unknown): unknown => {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
};

/**
 * Decode a (partial) config over its defaults: `input` is merged into `defaults`
 * with {@link deepMerge}, then decoded by `codec`. The one place every config with
 * defaults (methods, runs, CLI commands) is read.
 *
 * @example
 * ```ts
 * import * as t from 'io-ts';
 * const Cfg = t.type({ steps: PositiveInt, opt: t.type({ lr: PositiveNumber }) });
 * decodeWithDefaults(Cfg, { steps: 10, opt: { lr: 1e-3 } }, { opt: { lr: 0.01 } }); // Right({ steps: 10, opt: { lr: 0.01 } })
 * ```
 */
export const decodeWithDefaults = <A>(codec: t.Decoder<unknown, A>, defaults: unknown, input: unknown, where = codec.name): E.Either<ConfigError, A> =>
  decode(codec, deepMerge(defaults, input ?? {}), where);
