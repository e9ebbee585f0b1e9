// Real photos for the tests. Two sources:
// - HORSE_FIXTURE: three Weizmann horse image/mask pairs inside the repository (horse001–003,
//   byte-identical copies) with their PIL/NumPy reference values
//   (tools/fixtures/weizmann_horse_reference.py). Always there: a plain clone's tests use it.
// - The whole 200-photo development set, outside the repository: the folder WEIZMANN_HORSE names
//   (when set, only that), else shared/datasets/weizmann-horse beside the project. Tests that need
//   it are declared with `{ skip: weizmannHorseSkip }`: without the set they report themselves
//   skipped with the reason, never passed and never failed.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The in-repository fixture: `images/horse00{1,2,3}.jpg`, `masks/horse00{1,2,3}.png`, `reference.json`. */
export const HORSE_FIXTURE = fileURLToPath(new URL('./fixtures/weizmann-horse', import.meta.url));

/** PIL/NumPy values of one fixture pair (see tools/fixtures/weizmann_horse_reference.py). */
export interface HorseReference {
  readonly h: number;
  readonly w: number;
  /** Per-channel mean of the RGB image in [0,1] (PIL decode). */
  readonly mean: readonly number[];
  /** RGB of the pixel at row 10, column 20. */
  readonly pixel_10_20: readonly number[];
  readonly mask_h: number;
  readonly mask_w: number;
  /** Distinct 8-bit values of the mask's first channel. */
  readonly mask_values: readonly number[];
  /** Fraction of mask pixels > 0.5 (after /255). */
  readonly foreground: number;
}

/** The fixture's reference values, by stem. */
export const horseReference = (): Readonly<Record<string, HorseReference>> =>
  JSON.parse(readFileSync(join(HORSE_FIXTURE, 'reference.json'), 'utf8')) as Record<string, HorseReference>;

const isSet = (dir: string): boolean => existsSync(join(dir, 'images')) && existsSync(join(dir, 'masks'));

const explicit = process.env['WEIZMANN_HORSE'];
const beside = [resolve(import.meta.dirname ?? '.', '..', '..', 'shared'), resolve(process.cwd(), '..', 'shared')].map((s) => join(s, 'datasets', 'weizmann-horse'));

/** The whole development set's folder, or undefined when it is not available. */
export const weizmannHorseDir: string | undefined = explicit !== undefined ? (isSet(explicit) ? explicit : undefined) : beside.find(isSet);

/**
 * `false` when the whole set is available, else the reason a test that needs it is skipped
 * (pass as `test(name, { skip: weizmannHorseSkip }, fn)`).
 */
export const weizmannHorseSkip: string | false = weizmannHorseDir !== undefined
  ? false
  : explicit !== undefined
    ? `needs the 200-photo Weizmann horse set: WEIZMANN_HORSE=${explicit} has no images/ and masks/`
    : `needs the 200-photo Weizmann horse set: set WEIZMANN_HORSE=<dir with images/ and masks/> (looked in ${[...new Set(beside)].join(', ')})`;

/** The whole development set's folder (call only from a test declared with `{ skip: weizmannHorseSkip }`). */
export const weizmannHorse = (): string => {
  if (weizmannHorseDir === undefined) throw new Error(`test data: ${weizmannHorseSkip}`);
  return weizmannHorseDir;
};
