/**
 * Config files for every CLI command: JSON or YAML, then `key=value`
 * overrides (Hydra style: `train.steps=500 model.width=32`), values parsed as
 * YAML scalars, then decoded by the command's codec.
 *
 * @module
 */
import * as fs from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import YAML from 'yaml';
import { decodeWithDefaults, deepMerge } from '../core/codec.ts';
import { ConfigError } from '../core/errors.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parse a config file's text: JSON for `.json`, YAML otherwise (YAML is a superset of JSON).
 *
 * @example
 * ```ts
 * parseConfigText('a: 1\nb: [2, 3]', 'c.yaml'); // { a: 1, b: [2, 3] }
 * ```
 */
export const parseConfigText = (text: string, file: string): E.Either<ConfigError, unknown> => {
  try {
    if (file.endsWith('.json')) return E.right(JSON.parse(text) as unknown);
    // YAML's warnings (an unknown `!!tag`, …) are errors of the config, not lines on stderr.
    const doc = YAML.parseDocument(text, { logLevel: 'silent' });
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem) throw problem;
    return E.right((doc.toJS() as unknown) ?? {});
  } catch (e) {
    return E.left(new ConfigError(file, [{ path: '<file>', expected: file.endsWith('.json') ? 'valid JSON' : 'valid YAML', given: (e as Error).message.split('\n')[0] ?? '' }]));
  }
};

/**
 * Apply `a.b.c=value` overrides to a plain object (a copy is returned). The
 * value is parsed as a YAML scalar/flow value (`3` → number, `true`, `[1,2]`,
 * `null`, otherwise a string). Missing intermediate objects are created.
 *
 * @example
 * ```ts
 * applyOverrides({ train: { steps: 10 } }, ['train.steps=500', 'out=runs/a']);
 * // { train: { steps: 500 }, out: 'runs/a' }
 * ```
 */
export const applyOverrides = (base: unknown, overrides: readonly string[]): E.Either<ConfigError, unknown> => {
  const root: Record<string, unknown> = isObject(base) ? (structuredClone(base) as Record<string, unknown>) : {};
  const bad: { path: string; expected: string; given: string }[] = [];
  for (const o of overrides) {
    const eq = o.indexOf('=');
    const key = eq > 0 ? o.slice(0, eq) : '';
    const parts = key.split('.');
    if (eq <= 0 || parts.some((p) => p === '')) {
      bad.push({ path: o, expected: 'key=value with a dotted key (a.b.c=value)', given: JSON.stringify(o) });
      continue;
    }
    let value: unknown;
    try {
      value = YAML.parse(o.slice(eq + 1)) as Json;
    } catch {
      value = o.slice(eq + 1);
    }
    let node = root;
    let ok = true;
    for (const p of parts.slice(0, -1)) {
      const next = node[p];
      if (next === undefined) node[p] = {};
      else if (!isObject(next)) {
        bad.push({ path: key, expected: `an object at '${p}' to set a field in`, given: JSON.stringify(next) });
        ok = false;
        break;
      }
      node = node[p] as Record<string, unknown>;
    }
    if (ok) node[parts[parts.length - 1]!] = value;
  }
  return bad.length > 0 ? E.left(new ConfigError('overrides', bad)) : E.right(root);
};

/**
 * Load a config: read `path` (JSON or YAML; none = start from `{}`), apply `key=value`
 * overrides, then decode over `defaults` with `decodeWithDefaults` (objects merge field
 * by field, anything else replaces). Every problem comes back as a {@link ConfigError}
 * naming the file (or `where` when there is none) and the field.
 *
 * @example
 * ```ts
 * const cfg = loadConfig(TrainGanCliConfig, 'configs/shapes.yaml', ['train.steps=200']);
 * if (E.isLeft(cfg)) console.error(cfg.left.message);
 * ```
 */
export const loadConfig = <A, O>(codec: t.Type<A, O, unknown>, path: string | undefined, overrides: readonly string[], defaults: unknown = {}, where = codec.name): E.Either<ConfigError, A> => {
  let input: unknown = {};
  if (path !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(path, 'utf8');
    } catch (e) {
      return E.left(new ConfigError(path, [{ path: '<file>', expected: 'a readable JSON or YAML file', given: (e as Error).message }]));
    }
    const parsed = parseConfigText(text, path);
    if (E.isLeft(parsed)) return parsed;
    input = parsed.right;
  }
  const merged = applyOverrides(input, overrides);
  if (E.isLeft(merged)) return merged;
  return decodeWithDefaults(codec, defaults, merged.right, path ?? where);
};

/** Re-exported from `core/codec.ts`: the one recursive merge of configs. */
export { deepMerge };
