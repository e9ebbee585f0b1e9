/**
 * Lean gradient tape: frees what tfjs's backward pass keeps longer than it needs, so a
 * training step's peak memory comes near PyTorch's. Same gradients, bit for bit.
 *
 * tfjs 4.x keeps, until `tf.grads`/`minimize` returns:
 * - every intermediate gradient (the whole backward pass runs in one `tidy`);
 * - every tensor a kernel saved for its gradient, even when that gradient reads only the
 *   tensor's shape (`Add`, `Sub`, `Mean`, `Sum`, `Reshape`, `Concat`, …): a BatchNorm
 *   written with `tf.moments` keeps seven activation-sized tensors per layer this way;
 * - the input of `Relu`/`LeakyRelu`, where the output (usually kept anyway by the next
 *   layer) gives the same mask.
 *
 * With the lean tape on, a node's incoming gradient is disposed as soon as the node has
 * passed it on, a first-order backward pass frees each node's saved tensors once the node
 * is done, shape-only saves are dropped when the node is recorded (the gradient function
 * still sees the tensors' shapes), and `Relu`/`LeakyRelu` (α ≥ 0) keep their output
 * instead of their input. It hooks two methods of tfjs's engine (`gradients`,
 * `addTapeNode`); everything else is tfjs's own code. Nothing is freed that tfjs would
 * not free by the end of the outermost `gradients` call; a gradient a node hands back
 * unchanged (or hands to two inputs) is left to tfjs; and a shape-only save is only
 * dropped while the kernel's gradient is still tfjs's own (checked by identity). A
 * `tf.grad` inside a taped function (R1 by double backprop) keeps its nodes' saved tensors,
 * which the outer pass needs.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/** A tfjs tensor with the engine's bookkeeping fields the tape reads. */
type TapeTensor = tf.Tensor & { scopeId?: number; kept?: boolean };
type Thunks = Record<string, () => TapeTensor>;

/** A node of tfjs's gradient tape (tfjs-core `tape.ts`). */
interface TapeNode {
  kernelName: string;
  inputs: Record<string, TapeTensor>;
  outputs: TapeTensor[];
  saved: TapeTensor[];
  gradient?: (dys: (TapeTensor | null)[]) => Thunks;
}

/** The parts of tfjs's `Engine` the lean tape uses. */
interface EngineInternals {
  state: {
    activeTape: TapeNode[] | null;
    gradientDepth: number;
    kernelDepth: number;
    activeScope: { id: number } | null;
  };
  gradients(f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean): { value: tf.Tensor; grads: tf.Tensor[] };
  addTapeNode(kernelName: string, inputs: Record<string, TapeTensor>, outputs: TapeTensor[], gradientsFunc: unknown, saved: TapeTensor[], attrs: Record<string, unknown> | undefined): void;
  clone(x: tf.Tensor): TapeTensor;
  keep<T extends tf.Tensor>(x: T): T;
}

/** Kernels whose tfjs gradient reads its saved tensors' shapes only. */
const SHAPE_ONLY = ['Add', 'Sub', 'Mean', 'Sum', 'Reshape', 'ExpandDims', 'Concat', 'AddN', 'PadV2', 'Slice'] as const;
/** Kernels whose tfjs gradient computes its mask from the saved input `x > 0`; the output has the same sign pattern. */
const MASK_FROM_OUTPUT = ['Relu', 'LeakyRelu'] as const;

/** One `gradients` call in flight: which gradients it returns, and the node whose gradients were just computed. */
interface Backward {
  readonly xIds: ReadonlySet<number>;
  pending?: { dys: (TapeTensor | null)[]; saved: TapeTensor[]; scopeId: number };
}

let installed: { restore: () => void } | undefined;

/**
 * Turn the lean tape on for tfjs's engine (idempotent). `enableNative` does this unless
 * `GAN_SEGMENTER_LEAN_TAPE=0`.
 *
 * @example
 * ```ts
 * enableLeanTape();
 * const { grads } = tf.variableGrads(() => loss(model, x)); // lower peak memory, same numbers
 * ```
 */
export const enableLeanTape = (): void => {
  if (installed) return;
  const engine = tf.engine() as unknown as EngineInternals;
  const gradients = engine.gradients;
  const addTapeNode = engine.addTapeNode;
  const builtIn = new Map<string, tf.GradConfig>();
  for (const k of [...SHAPE_ONLY, ...MASK_FROM_OUTPUT]) {
    const g = tf.getGradient(k);
    if (g) builtIn.set(k, g);
  }
  const stack: Backward[] = [];
  // A tensor a gradient function returned more than once, or returned as it was given: never freed early.
  const seen = new WeakSet<object>();
  const shared = new WeakSet<object>();

  const finish = (b: Backward): void => {
    const p = b.pending;
    if (!p) return;
    b.pending = undefined;
    for (const dy of p.dys) {
      // Only tensors this backward's tidy would dispose at its end anyway.
      if (dy && !dy.isDisposed && !dy.kept && dy.scopeId === p.scopeId && !shared.has(dy)) dy.dispose();
    }
    // First-order pass: tfjs disposes every saved tensor once the pass is over; this node no longer needs its own.
    if (engine.state.gradientDepth === 0) for (const s of p.saved) s.dispose();
  };

  engine.gradients = function (this: EngineInternals, f, xs, dy, allowNoGradients) {
    stack.push({ xIds: new Set(xs.map((x) => x.id)) });
    try {
      return gradients.call(this, f, xs, dy, allowNoGradients);
    } finally {
      stack.pop();
    }
  };

  engine.addTapeNode = function (this: EngineInternals, kernelName, inputs, outputs, gradientsFunc, saved, attrs) {
    addTapeNode.call(this, kernelName, inputs, outputs, gradientsFunc, saved, attrs);
    const tape = this.state.activeTape;
    const node = tape?.[tape.length - 1];
    if (!node || node.saved !== saved || !node.gradient) return;
    const own = builtIn.get(kernelName);
    if (own && own === tf.getGradient(kernelName)) {
      if ((SHAPE_ONLY as readonly string[]).includes(kernelName)) {
        // The gradient reads `.shape` only, which a disposed tensor keeps.
        for (const s of saved) s.dispose();
      } else if (saved.length === 1 && outputs.length === 1 && Number(attrs?.['alpha'] ?? 0) >= 0) {
        // relu(x) > 0 and leakyRelu(x, α ≥ 0) > 0 exactly where x > 0: save the output instead.
        this.state.kernelDepth++;
        try {
          const y = this.keep(this.clone(outputs[0]!));
          saved[0]!.dispose();
          saved[0] = y;
        } finally {
          this.state.kernelDepth--;
        }
      }
    }
    const gradient = node.gradient;
    const outIds = node.outputs.map((o) => o.id);
    node.gradient = (dys) => {
      const b = stack[stack.length - 1];
      const scope = engine.state.activeScope;
      if (!b || !scope) return gradient(dys);
      finish(b);
      b.pending = { dys: dys.map((d, i) => (b.xIds.has(outIds[i]!) ? null : d)), saved: node.saved, scopeId: scope.id };
      const thunks = gradient(dys);
      const wrapped: Thunks = {};
      for (const [name, thunk] of Object.entries(thunks)) {
        wrapped[name] = () => {
          const dx = thunk();
          if (seen.has(dx) || dys.includes(dx)) shared.add(dx);
          else seen.add(dx);
          return dx;
        };
      }
      return wrapped;
    };
  };

  installed = {
    restore: () => {
      engine.gradients = gradients;
      engine.addTapeNode = addTapeNode;
    },
  };
};

/**
 * Put tfjs's own `gradients` and `addTapeNode` back. Tapes recorded meanwhile keep their
 * lean gradient functions.
 *
 * @example
 * ```ts
 * enableLeanTape(); disableLeanTape(); // tfjs's stock behaviour again
 * ```
 */
export const disableLeanTape = (): void => {
  installed?.restore();
  installed = undefined;
};

/**
 * Whether the lean tape is on.
 *
 * @example
 * ```ts
 * if (!leanTapeEnabled()) enableLeanTape();
 * ```
 */
export const leanTapeEnabled = (): boolean => installed !== undefined;
