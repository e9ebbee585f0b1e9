/**
 * The generator-family table (`GENERATOR_FAMILIES`: create, load, save, config,
 * discriminator per family), generator files over it (`loadGenerator`, `saveGenerator`), and
 * `withDefaultClass` for sampling a conditional family without classes.
 *
 * @module
 */
export * from './families.ts';
export * from './files.ts';
export * from './conditioning.ts';
