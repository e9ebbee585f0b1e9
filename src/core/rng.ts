/**
 * Seeded randomness. Every random draw in the library comes from an {@link Rng};
 * nothing calls `Math.random`.
 *
 * @module
 */
import seedrandom from 'seedrandom';

/** seedrandom's ARC4 state. */
export interface Arc4State {
  /** First index. */
  readonly i: number;
  /** Second index. */
  readonly j: number;
  /** The 256-entry permutation. */
  readonly S: readonly number[];
}

/** The serializable state of an {@link Rng}, for checkpoints. */
export interface RngState {
  /** The seed label the generator was made from. */
  readonly seed: string;
  /** seedrandom's ARC4 state. */
  readonly state: Arc4State;
  /** A cached second normal deviate (Box–Muller gives two), or null. */
  readonly spare: number | null;
}

type Prng = seedrandom.PRNG & { state(): Arc4State };

/**
 * A seeded random number generator (seedrandom's ARC4) with the draws the
 * library needs. Same seed ⇒ same sequence, on any platform.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * const a = rng.normal();          // one N(0,1) draw
 * const d = rng.fork('data');      // independent stream, stable across code changes elsewhere
 * const z = tf.randomNormal([4, 128], 0, 1, 'float32', rng.tfSeed());
 * ```
 */
export class Rng {
  /** The seed label this generator was made from. */
  readonly seed: string;
  private prng: Prng;
  private spare: number | null = null;

  constructor(seed: number | string, state?: Arc4State) {
    this.seed = String(seed);
    this.prng = seedrandom(this.seed, { state: state ? { i: state.i, j: state.j, S: state.S.slice() } : true }) as Prng;
  }

  /** Restore a generator from {@link Rng.getState}. */
  static fromState(s: RngState): Rng {
    const r = new Rng(s.seed, s.state);
    r.spare = s.spare;
    return r;
  }

  /** The full state, for checkpoints: `Rng.fromState(r.getState())` continues the same sequence. */
  getState(): RngState {
    return { seed: this.seed, state: this.prng.state(), spare: this.spare };
  }

  /** An independent generator whose seed is derived from this one's seed and `label` (does not advance this one). */
  fork(label: string): Rng {
    return new Rng(`${this.seed}/${label}`);
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.prng.double();
  }

  /** Normal with the given mean and standard deviation (Box–Muller). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return mean + std * s;
    }
    let u = 0;
    while (u === 0) u = this.prng.double();
    const v = this.prng.double();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** An integer uniform in [lo, hi) (hi exclusive). */
  int(lo: number, hi: number): number {
    if (!(hi > lo)) throw new RangeError(`Rng.int: need hi > lo, got [${lo}, ${hi})`);
    return lo + Math.floor(this.prng.double() * (hi - lo));
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.prng.double() < p;
  }

  /** A new array with the elements of `xs` in a random order (Fisher–Yates). */
  shuffle<T>(xs: readonly T[]): T[] {
    const a = xs.slice();
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      const t = a[i] as T;
      a[i] = a[j] as T;
      a[j] = t;
    }
    return a;
  }

  /** A float32 array of `n` normal draws. */
  normalArray(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** A float32 array of `n` uniform draws in [lo, hi). */
  uniformArray(n: number, lo = 0, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform(lo, hi);
    return out;
  }

  /** A seed for tfjs random ops (`tf.randomNormal(shape, 0, 1, 'float32', rng.tfSeed())`). */
  tfSeed(): number {
    return this.int(0, 2 ** 31 - 1);
  }
}
