/**
 * Rounding as the reference code rounds.
 *
 * @module
 */

/**
 * PyTorch's `torch.round`: to the nearest integer, ties to even (2.5 → 2, 3.5 → 4, −2.5 → −2).
 *
 * @example
 * ```ts
 * roundHalfToEven(2.5); // 2
 * ```
 */
export const roundHalfToEven = (x: number): number => {
  const r = Math.round(x); // ties toward +∞
  return (Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r) + 0;
};
