/**
 * JSON values: what every record, report and saved summary is made of.
 *
 * @module
 */

/**
 * A JSON value.
 *
 * @example
 * ```ts
 * const record: Json = { method: 'latent-direction', steps: 300, losses: [0.5, 0.2] };
 * ```
 */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

/**
 * A plain-data copy of a decoded config (brands and `readonly` dropped), for records and reports.
 *
 * @example
 * ```ts
 * toJson({ steps: 10, lr: 1e-3 }); // { steps: 10, lr: 0.001 }
 * ```
 */
export const toJson = (value: unknown): Json => JSON.parse(JSON.stringify(value ?? null)) as Json;
