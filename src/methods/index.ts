/** Methods, one folder per paper. A method never imports another method. @module */
export * from './latent-direction/index.ts';
