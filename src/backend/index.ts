/** Backend selection, the project's kernel and gradient fixes, and the lean gradient tape. @module */
export * from './init.ts';
export { registerGradientFixes } from './gradients/index.ts';
export { registerKernelFixes } from './kernels/index.ts';
export { disableLeanTape, enableLeanTape, leanTapeEnabled } from './lean-tape.ts';
