// Deno smoke test: import the package's sources, initialise wasm, run a small
// forward and backward pass, print one JSON line. Run by deno.test.ts.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import { initBackend, Rng } from '../../src/index.ts';

const info = await initBackend({ backend: 'wasm', ignoreEnv: true });
const rng = new Rng(0);
const x = tf.tensor4d(rng.normalArray(2 * 8 * 8 * 3), [2, 8, 8, 3]);
const w = tf.variable(tf.tensor4d(rng.normalArray(3 * 3 * 3 * 4, 0, 0.1), [3, 3, 3, 4]));
const f = () => tf.mean(tf.square(tf.leakyRelu(tf.conv2d(x, w, 1, 'same'), 0.2))) as tf.Scalar;
const { value, grads } = tf.variableGrads(f);
const g = grads[w.name]!;
const out = { backend: info.tfBackend, loss: value.dataSync()[0], gradNorm: tf.norm(g).dataSync()[0], gradShape: g.shape };
console.log(JSON.stringify(out));
