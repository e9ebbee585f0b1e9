/**
 * Methods, one folder per paper, each exporting one spec; the method table. A
 * method never imports another method.
 *
 * @module
 */
export * from './spec.ts';
export * from './table.ts';
export * from './latent-direction/index.ts';
export * from './labels4free/index.ts';
export * from './ganseg/index.ts';
export * from './ilsgan/index.ts';
