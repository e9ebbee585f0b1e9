/** Backend selection and the project's kernel and gradient fixes. @module */
export * from './init.ts';
export { registerGradientFixes } from './gradients/index.ts';
export { registerKernelFixes } from './kernels/index.ts';
