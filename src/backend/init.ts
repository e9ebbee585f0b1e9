/**
 * Choosing and initialising the tfjs backend.
 *
 * `auto` prefers `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`,
 * then the project's native CPU kernels (when built), then wasm. The
 * environment variable `GAN_SEGMENTER_BACKEND` overrides the request.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError } from '../core/errors.ts';
import { registerGradientFixes } from './gradients/index.ts';
import { registerKernelFixes } from './kernels/index.ts';

/** Backends a user can ask for. `tensorflow` is libtensorflow through tfjs-node(-gpu). */
export type BackendName = 'auto' | 'tensorflow' | 'native' | 'wasm' | 'cpu';

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Which backend. Default `'auto'` (or the `GAN_SEGMENTER_BACKEND` environment variable). */
  readonly backend?: BackendName;
  /** Ignore `GAN_SEGMENTER_BACKEND`. Default false. */
  readonly ignoreEnv?: boolean;
}

/** What {@link initBackend} activated, and why. */
export interface BackendInfo {
  /** The name tfjs knows the active backend by (`tensorflow`, `wasm`, `cpu`). */
  readonly tfBackend: string;
  /** What was asked for. */
  readonly requested: BackendName;
  /** Why this one: which candidates were tried and what happened. */
  readonly reason: string;
  /** Kernels and gradients the project registered to fill tfjs gaps. */
  readonly patches: readonly string[];
}

const ENV_VAR = 'GAN_SEGMENTER_BACKEND';
const NAMES: readonly BackendName[] = ['auto', 'tensorflow', 'native', 'wasm', 'cpu'];

const readEnv = (): string | undefined => {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> }; Deno?: { env: { get(k: string): string | undefined } } };
  try {
    return g.process?.env?.[ENV_VAR] ?? g.Deno?.env.get(ENV_VAR);
  } catch {
    return undefined;
  }
};

/** Load a module by name without letting bundlers or tsc resolve it statically. */
const tryImport = async (name: string): Promise<{ ok: true } | { ok: false; error: string }> => {
  try {
    await import(/* @vite-ignore */ name);
    return { ok: true };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e);
    return { ok: false, error: msg };
  }
};

/**
 * Outcome of enabling the native CPU kernels (`enableNative` in
 * `backend/native`); {@link initBackend} reports it in {@link BackendInfo.reason}.
 *
 * @example
 * ```ts
 * const r: NativeEnableResult = { ok: false, error: 'addon not built' };
 * console.log(r.ok ? r.detail : r.error);
 * ```
 */
export type NativeEnableResult =
  | {
      /** Enabled. */
      readonly ok: true;
      /** What was enabled (library, threads). */
      readonly detail: string;
    }
  | {
      /** Not enabled. */
      readonly ok: false;
      /** Why not. */
      readonly error: string;
    };

let current: BackendInfo | undefined;

/** The backend set by the last {@link initBackend}, if any. */
export const activeBackend = (): BackendInfo | undefined => current;

const activate = async (name: string): Promise<void> => {
  const ok = await tf.setBackend(name);
  if (!ok) throw new BackendError('initBackend', `tfjs could not initialise the '${name}' backend`);
  await tf.ready();
  // tfjs's cpu backend prints a banner on its first tensor advising tfjs-node; here the cpu backend is
  // the one we chose (often carrying the native kernels), so the advice is wrong: mark it as shown.
  if (name === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
};

const INSTALL_HINT =
  "install it with `npm install @tensorflow/tfjs-node-gpu` (CUDA GPU) or `npm install @tensorflow/tfjs-node` (CPU libtensorflow)";

/**
 * Choose, initialise and patch the tfjs backend. Returns what is active and why.
 *
 * @example
 * ```ts
 * import { initBackend } from 'gan-segmenter';
 * const info = await initBackend({ backend: 'auto' });
 * console.log(info.tfBackend, info.reason);
 * ```
 */
export const initBackend = async (options: InitBackendOptions = {}): Promise<BackendInfo> => {
  let requested: BackendName = options.backend ?? 'auto';
  const env = options.ignoreEnv ? undefined : readEnv();
  let envNote = '';
  if (env !== undefined && env !== '') {
    if (!(NAMES as readonly string[]).includes(env)) {
      throw new BackendError('initBackend', `${ENV_VAR}='${env}' is not one of ${NAMES.join(', ')}`);
    }
    requested = env as BackendName;
    envNote = ` (from ${ENV_VAR})`;
  }
  const tried: string[] = [];

  const tryTensorflow = async (): Promise<boolean> => {
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      const r = await tryImport(pkg);
      if (r.ok && tf.findBackendFactory('tensorflow')) {
        await activate('tensorflow');
        tried.push(`${pkg}: loaded`);
        return true;
      }
      tried.push(`${pkg}: ${r.ok ? 'loaded but registered no backend' : r.error}`);
    }
    return false;
  };
  const tryNative = async (): Promise<boolean> => {
    let r: NativeEnableResult;
    try {
      // Node-only module (loads a .node addon); imported lazily so Deno and browsers never touch it.
      const native = await import('./native/index.ts');
      r = await native.enableNative();
    } catch (e) {
      r = { ok: false, error: e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e) };
    }
    if (!r.ok) {
      tried.push(`native: ${r.error}`);
      return false;
    }
    await activate('cpu');
    tried.push(`native: ${r.detail}`);
    return true;
  };
  const tryWasm = async (): Promise<boolean> => {
    const r = await tryImport('@tensorflow/tfjs-backend-wasm');
    if (!r.ok || !tf.findBackendFactory('wasm')) {
      tried.push(`wasm: ${r.ok ? 'registered no backend' : r.error}`);
      return false;
    }
    await activate('wasm');
    tried.push('wasm: loaded');
    return true;
  };

  let ok = false;
  switch (requested) {
    case 'tensorflow':
      ok = await tryTensorflow();
      if (!ok) throw new BackendError('initBackend', `backend 'tensorflow'${envNote} is not available (${tried.join('; ')}); ${INSTALL_HINT}`);
      break;
    case 'native':
      ok = await tryNative();
      if (!ok) throw new BackendError('initBackend', `backend 'native'${envNote} is not available (${tried.join('; ')}); build it with \`npm run build:native\` (needs g++, make and libopenblas-dev)`);
      break;
    case 'wasm':
      ok = await tryWasm();
      if (!ok) throw new BackendError('initBackend', `backend 'wasm'${envNote} is not available (${tried.join('; ')}); run \`npm install @tensorflow/tfjs-backend-wasm\``);
      break;
    case 'cpu':
      await activate('cpu');
      tried.push('cpu: pure JavaScript');
      ok = true;
      break;
    case 'auto':
      ok = (await tryTensorflow()) || (await tryNative()) || (await tryWasm());
      if (!ok) {
        await activate('cpu');
        tried.push('cpu: fallback');
      }
      break;
  }
  const tfBackend = tf.getBackend();
  const patches = [...registerKernelFixes(tfBackend), ...registerGradientFixes()];
  current = { tfBackend, requested, reason: `${requested}${envNote} → ${tfBackend}: ${tried.join('; ')}`, patches };
  return current;
};
