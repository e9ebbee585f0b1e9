/**
 * A recycling pool for the Float32Arrays the native kernels return. Fresh large typed
 * arrays cost page faults and zeroing on every op (and wait for V8's GC to be freed);
 * recycling the outputs of disposed tensors avoids both. Safety: only arrays this pool
 * allocated are recycled, only when no tensor data refers to their ArrayBuffer any more
 * (views included), and never once their values escaped to user code (`dataSync`, `data`).
 *
 * An array the pool cannot keep (over its byte cap) is handed to `release` when given (the
 * addon's `detach`), which frees its memory at once instead of when V8's garbage collector
 * gets round to it; fresh arrays are then allocated uninitialised. With a cap of 0 every
 * disposed output is freed at once: the least memory (malloc reuses it for the next array
 * of any size), at the price of more garbage collections (V8 schedules them by the bytes
 * of ArrayBuffers created, freed or not) — about 12 % more CPU time per UNet step here.
 *
 * @module
 */

/** The parts of tfjs's cpu backend the pool hooks. */
interface HookableBackend {
  data: { get(dataId: object): { values?: unknown } | undefined; has(dataId: object): boolean };
  write(values: unknown, shape: number[], dtype: string): object;
  move(dataId: object, values: unknown, shape: number[], dtype: string, refCount: number): void;
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
  bufferSync(t: unknown): unknown;
  disposeData(dataId: object, force?: boolean): boolean;
}

const MIN_FLOATS = 1 << 14;

/**
 * Allocates output arrays for the native kernels and recycles them.
 *
 * @example
 * ```ts
 * const pool = new BufferPool(1024 * 1024 * 1024, (b) => addon.detach(b));
 * pool.attach(tf.findBackend('cpu') as never);
 * const out = pool.alloc(1 << 20); // a recycled array of that length, or a fresh one
 * ```
 */
export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly owned = new WeakSet<ArrayBuffer>();
  private readonly refs = new WeakMap<ArrayBuffer, number>();
  private pooledBytes = 0;
  private unhook: (() => void) | undefined;
  /** Arrays served from the pool / freshly allocated / freed by `release` (for the benchmark's report). */
  readonly stats = { reused: 0, fresh: 0, released: 0 };

  /**
   * @param maxBytes most bytes kept waiting for reuse.
   * @param release frees an ArrayBuffer's memory now (detaching it); false if it cannot.
   */
  constructor(
    private readonly maxBytes: number,
    private readonly release?: (buffer: ArrayBuffer) => boolean,
  ) {}

  /** A Float32Array of length n; contents are arbitrary (callers overwrite every element). */
  alloc(n: number): Float32Array {
    if (n < MIN_FLOATS) return new Float32Array(n);
    const list = this.free.get(n);
    const a = list?.pop();
    if (a) {
      this.pooledBytes -= a.byteLength;
      this.stats.reused++;
      return a;
    }
    let fresh: Float32Array;
    if (this.release) {
      // Uninitialised (callers overwrite it), and its own ArrayBuffer (not Node's 8 KB slab) so it can be released.
      const b = Buffer.allocUnsafeSlow(n * 4);
      fresh = new Float32Array(b.buffer, b.byteOffset, n);
    } else {
      fresh = new Float32Array(n);
    }
    this.owned.add(fresh.buffer as ArrayBuffer);
    this.stats.fresh++;
    return fresh;
  }

  /** Drop everything waiting for reuse (freeing it at once when `release` was given). */
  clear(): void {
    for (const list of this.free.values()) for (const a of list) this.drop(a.buffer as ArrayBuffer);
    this.free.clear();
    this.pooledBytes = 0;
  }

  private drop(b: ArrayBuffer): void {
    this.owned.delete(b);
    if (this.release?.(b)) this.stats.released++;
  }

  private escape(values: unknown): void {
    if (values instanceof Float32Array) this.owned.delete(values.buffer as ArrayBuffer);
  }

  private register(values: unknown): void {
    if (values instanceof Float32Array && this.owned.has(values.buffer as ArrayBuffer)) {
      const b = values.buffer as ArrayBuffer;
      this.refs.set(b, (this.refs.get(b) ?? 0) + 1);
    }
  }

  private unregister(values: unknown): void {
    if (!(values instanceof Float32Array)) return;
    const b = values.buffer as ArrayBuffer;
    if (!this.owned.has(b)) return;
    const n = (this.refs.get(b) ?? 1) - 1;
    if (n > 0) {
      this.refs.set(b, n);
      return;
    }
    this.refs.delete(b);
    const full = new Float32Array(b);
    if (this.pooledBytes + full.byteLength > this.maxBytes) {
      this.drop(b);
      return;
    }
    this.pooledBytes += full.byteLength;
    const list = this.free.get(full.length);
    if (list) list.push(full);
    else this.free.set(full.length, [full]);
  }

  /** Hook the backend's write / read / dispose so disposed outputs come back here. */
  attach(backend: HookableBackend): void {
    if (this.unhook) return;
    const { write, move, readSync, read, bufferSync, disposeData } = backend;
    let internalRead = 0;
    backend.write = (values, shape, dtype) => {
      const id = write.call(backend, values, shape, dtype);
      this.register(values);
      return id;
    };
    backend.move = (dataId, values, shape, dtype, refCount) => {
      move.call(backend, dataId, values, shape, dtype, refCount);
      this.register(values);
    };
    backend.readSync = (dataId) => {
      const v = readSync.call(backend, dataId);
      if (internalRead === 0) this.escape(backend.data.get(dataId)?.values);
      return v;
    };
    backend.read = async (dataId) => {
      this.escape(backend.data.get(dataId)?.values);
      return read.call(backend, dataId);
    };
    backend.bufferSync = (t) => {
      // Kernels read their inputs through bufferSync; that is not an escape.
      internalRead++;
      try {
        return bufferSync.call(backend, t);
      } finally {
        internalRead--;
      }
    };
    backend.disposeData = (dataId, force) => {
      const values = backend.data.get(dataId)?.values;
      const r = disposeData.call(backend, dataId, force);
      if (values !== undefined && !backend.data.has(dataId)) this.unregister(values);
      return r;
    };
    this.unhook = () => {
      Object.assign(backend, { write, move, readSync, read, bufferSync, disposeData });
      this.clear();
      this.unhook = undefined;
    };
  }

  /** Undo {@link attach}. */
  detach(): void {
    this.unhook?.();
  }
}
