/** Core: seeded randomness, typed errors, config codecs, tensor helpers. @module */
export * from './errors.ts';
export * from './rng.ts';
export * from './codec.ts';
export * from './tensor.ts';
export * from './json.ts';
export * from './events.ts';
export * from './raster.ts';
export * from './round.ts';
