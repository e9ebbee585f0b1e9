/**
 * Fuzz targets shared by `test/io/fuzz.test.ts` (a bounded, seeded count in
 * `npm test`) and `tools/fuzz.ts` (a larger sweep). Each target has valid seed
 * inputs, a parser run, and an arbitrary of hostile inputs: byte flips,
 * truncations, insertions, deletions, "interesting" integers written over the
 * header, and format-aware header edits (a safetensors header claiming a 10¹²
 * element tensor, an npy shape of 10¹², a zip entry claiming 4 GB, …).
 *
 * The property every target must hold: the parser returns, or throws one of
 * the project's typed errors (a `GanSegmenterError` subclass) — never another
 * exception, never a hang, never an allocation the input's size does not justify.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { unzipSync, zipSync } from 'fflate';
import jpeg from 'jpeg-js';
import * as E from 'fp-ts/lib/Either.js';
import { GanSegmenterError } from '../src/core/errors.ts';
import { parseSafetensors, serializeSafetensors } from '../src/io/safetensors.ts';
import { parseNpy } from '../src/io/npy.ts';
import { readTorchCheckpoint } from '../src/io/torch/checkpoint.ts';
import { decodeImage, encodePng } from '../src/io/image.ts';
import { parseConfigText, applyOverrides } from '../src/cli/config.ts';
import { decodeWithDefaults } from '../src/core/codec.ts';
import { TrainGanCliConfig } from '../src/cli/commands/train-gan.ts';
import { directionFromBytes, directionToBytes } from '../src/methods/latent-direction/direction-io.ts';
import { PROTOCOLS, createAccumulator, gansegForeground } from '../src/metrics/protocols.ts';
import { LatentDirection } from '../src/methods/latent-direction/model.ts';
import type { Generator } from '../src/models/generator.ts';

/** One parser under test. */
export interface FuzzTarget {
  /** Short name used in reports. */
  readonly name: string;
  /** Hostile inputs derived from the valid seeds. */
  readonly input: fc.Arbitrary<Uint8Array>;
  /** Runs the parser on one input (throws whatever the parser throws). */
  readonly run: (bytes: Uint8Array) => void;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const read = (p: string): Uint8Array => new Uint8Array(readFileSync(p));

// ---------------------------------------------------------------------------
// Generic byte mutations
// ---------------------------------------------------------------------------

/** Integers that break parsers: zero, all-ones, sign bits, 10¹², 2^53, 2^64 − 1. */
const INTERESTING: readonly bigint[] = [0n, 1n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 10n ** 12n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n];

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly len: number }
  | { readonly kind: 'int'; readonly at: number; readonly width: 1 | 2 | 4 | 8; readonly value: bigint };

/** Positions biased towards the header (the first 64 bytes), where most structure lives. */
const position = fc.oneof(fc.nat({ max: 63 }), fc.nat({ max: 1 << 20 }));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: position, value: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat({ max: 1 << 20 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, len: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('int' as const), at: position, width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const), value: fc.constantFrom(...INTERESTING) }),
);

const apply = (src: Uint8Array, m: Mutation): Uint8Array => {
  const n = src.length;
  if (n === 0) return m.kind === 'insert' ? m.bytes.slice() : src;
  const at = m.at % (n + (m.kind === 'insert' || m.kind === 'truncate' ? 1 : 0));
  switch (m.kind) {
    case 'flip': { const b = src.slice(); b[at] = b[at]! ^ (1 << m.bit); return b; }
    case 'set': { const b = src.slice(); b[at] = m.value; return b; }
    case 'truncate': return src.slice(0, at);
    case 'insert': { const b = new Uint8Array(n + m.bytes.length); b.set(src.subarray(0, at)); b.set(m.bytes, at); b.set(src.subarray(at), at + m.bytes.length); return b; }
    case 'delete': { const b = new Uint8Array(n - Math.min(m.len, n - at)); b.set(src.subarray(0, at)); b.set(src.subarray(at + m.len), at); return b; }
    case 'int': {
      const b = src.slice();
      for (let k = 0; k < m.width && at + k < n; k++) b[at + k] = Number((m.value >> BigInt(8 * k)) & 0xffn);
      return b;
    }
  }
};

/** 1–4 random byte-level mutations of one of `seeds`. */
export const mutated = (seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> =>
  fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([i, ms]) => ms.reduce(apply, seeds[i]!));

// ---------------------------------------------------------------------------
// Format-aware edits
// ---------------------------------------------------------------------------

/** Hostile JSON values for a shape entry, an offset, a dtype or a whole field. */
const hostileJson = fc.constantFrom<unknown>(1e12, 2 ** 53, 2 ** 64, -1, 1.5, 0, '3', null, [], {}, [1e12], [1e6, 1e6], [2 ** 31, 2 ** 31], [0, 1e12], [-1, 4], [1e12, 1e12 + 4], 'F32', 'X9');

const safetensorsHeaderEdit = (seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> =>
  fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.nat(), fc.constantFrom('shape', 'data_offsets', 'dtype', 'entry', '__metadata__'), hostileJson, fc.boolean())
    .map(([i, k, field, value, keepLength]) => {
      const src = seeds[i]!;
      const n = Number(new DataView(src.buffer, src.byteOffset).getBigUint64(0, true));
      const header = JSON.parse(dec.decode(src.subarray(8, 8 + n))) as Record<string, Record<string, unknown>>;
      const names = Object.keys(header).filter((x) => x !== '__metadata__');
      const name = names[k % Math.max(1, names.length)] ?? 'x';
      if (field === 'entry') (header as Record<string, unknown>)[name] = value;
      else if (field === '__metadata__') (header as Record<string, unknown>).__metadata__ = value;
      else header[name] = { ...header[name], [field]: value };
      const hb = enc.encode(JSON.stringify(header));
      const out = new Uint8Array(8 + hb.length + (src.length - 8 - n));
      new DataView(out.buffer).setBigUint64(0, keepLength ? BigInt(hb.length) : 10n ** 12n, true);
      out.set(hb, 8);
      out.set(src.subarray(8 + n), 8 + hb.length);
      return out;
    });

const npyHeaderEdit = (seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> =>
  fc.tuple(
    fc.nat({ max: seeds.length - 1 }),
    fc.constantFrom('(1000000000000,)', '(1000000, 1000000)', '(0, 1000000000000)', '(2147483648, 2)', '()', '(-1,)', '(3,', '(1e3,)', '(99999999999999999999999,)', '(4294967296, 4294967296, 4294967296)'),
    fc.constantFrom('<f4', '<f8', '|u1', '>f4', '<U8', 'O', '<f4\'', ''),
    fc.constantFrom('False', 'True', 'None'),
  ).map(([i, shape, descr, fortran]) => {
    const src = seeds[i]!;
    const major = src[6]!, pre = major === 1 ? 10 : 12;
    const hlen = major === 1 ? src[8]! | (src[9]! << 8) : new DataView(src.buffer, src.byteOffset).getUint32(8, true);
    const header = enc.encode(`{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }\n`);
    const out = new Uint8Array(10 + header.length + (src.length - pre - hlen));
    out.set(src.subarray(0, 6));
    out[6] = 1; out[7] = 0; out[8] = header.length & 0xff; out[9] = header.length >> 8;
    out.set(header, 10);
    out.set(src.subarray(pre + hlen), 10 + header.length);
    return out;
  });

/** Mutate the pickle inside a torch zip and re-zip it, so the fuzzer reaches the unpickler and the tensor rebuild. */
const torchPickleEdit = (zips: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> => {
  const unpacked = zips.map((z) => unzipSync(z));
  return fc.tuple(fc.nat({ max: zips.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([i, ms, storages]) => {
    const files = { ...unpacked[i]! };
    const names = Object.keys(files);
    const pkl = names.find((n) => n.endsWith('data.pkl'))!;
    const target = storages ? (names.find((n) => /\/data\/\d+$/.test(n)) ?? pkl) : pkl;
    files[target] = new Uint8Array(ms.reduce(apply, files[target]!));
    return zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, [v, { level: 0 }]])));
  });
};

/** A zip entry whose central-directory sizes claim gigabytes (deflated, so the reader would inflate into them). */
const zipSizeEdit = (zips: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> =>
  fc.tuple(fc.nat({ max: zips.length - 1 }), fc.nat(), fc.constantFrom(0xfffffffe, 0x7fffffff, 0x40000000, 0), fc.constantFrom(20, 24)).map(([i, k, value, field]) => {
    const files = unzipSync(zips[i]!);
    const z = zipSync(Object.fromEntries(Object.entries(files).map(([name, v]) => [name, [v, { level: 6 }]])));
    const view = new DataView(z.buffer);
    const cds: number[] = [];
    for (let p = 0; p + 4 <= z.length; p++) if (view.getUint32(p, true) === 0x02014b50) cds.push(p);
    if (cds.length > 0) view.setUint32(cds[k % cds.length]! + field, value, true);
    return z;
  });

// ---------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------

const assertTyped = (e: unknown): void => { if (!(e instanceof GanSegmenterError)) throw e; };

const safetensorsTarget = (): FuzzTarget => {
  const seeds = [
    read('test/fixtures/io/mixed.safetensors'),
    serializeSafetensors(new Map([['a', { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }], ['b', { dtype: 'int64', shape: [2], data: Int32Array.from([7, 8]) }]]), { k: 'v' }),
  ];
  return { name: 'safetensors', input: fc.oneof(mutated(seeds), safetensorsHeaderEdit(seeds)), run: (b) => { parseSafetensors(b, 'fuzz.safetensors'); } };
};

const npyTarget = (): FuzzTarget => {
  const seeds = ['f4', 'f8', 'f2', 'i4', 'i8', 'u1', 'b1', 'fortran', 'scalar', 'v2', 'v3'].map((n) => read(`test/fixtures/io/${n}.npy`));
  return { name: 'npy', input: fc.oneof(mutated(seeds), npyHeaderEdit(seeds)), run: (b) => { parseNpy(b, 'fuzz.npy'); } };
};

const torchTarget = (): FuzzTarget => {
  const zips = ['torch/rosinality.pt', 'stylegan2/tiny-rosinality.pt', 'dcgan/dcgan-16-tiny.pt'].map((f) => read(`test/fixtures/${f}`));
  const others = ['torch/legacy.pt', 'torch/flat.bin', 'torch/network.pkl', 'torch/nvlabs.pkl'].map((f) => read(`test/fixtures/${f}`));
  const seeds = [...zips, ...others];
  return {
    name: 'torch',
    input: fc.oneof(mutated(seeds), torchPickleEdit(zips), zipSizeEdit(zips)),
    run: (b) => { readTorchCheckpoint(b, { where: 'fuzz.pt' }); },
  };
};

const imageSeeds = (): { png: Uint8Array[]; jpg: Uint8Array[] } => {
  const px = (w: number, h: number, c: number) => ({ width: w, height: h, channels: c, data: Float32Array.from({ length: w * h * c }, (_, i) => ((i * 37) % 101) / 100) });
  const png = [encodePng(px(5, 4, 3)), encodePng(px(3, 3, 1), { depth: 16 }), encodePng(px(4, 2, 4)), read('test/fixtures/weizmann-horse/masks/horse001.png')];
  const rgba = new Uint8Array(8 * 8 * 4).map((_, i) => (i * 29) % 256);
  const jpg = [new Uint8Array(jpeg.encode({ data: rgba, width: 8, height: 8 }, 80).data), new Uint8Array(jpeg.encode({ data: rgba.subarray(0, 3 * 5 * 4), width: 3, height: 5 }, 50).data)];
  return { png, jpg };
};

const pngTarget = (): FuzzTarget => ({ name: 'png', input: mutated(imageSeeds().png), run: (b) => { decodeImage(b, 'fuzz.png'); } });
const jpegTarget = (): FuzzTarget => ({ name: 'jpeg', input: mutated(imageSeeds().jpg), run: (b) => { decodeImage(b, 'fuzz.jpg'); } });

/** Parse as YAML or JSON, apply an override, decode with a real CLI codec: Left must be a ConfigError, and nothing may throw. */
const configTarget = (): FuzzTarget => {
  const seeds = [
    'out: runs/a\nmodel:\n  kind: dcgan\n  resolution: 16\ntrain:\n  steps: 10\n  batch: 4\n  lr: 0.0002\n',
    '{"out": "runs/b", "train": {"steps": 5, "batch": 2}, "data": {"kind": "synthetic", "count": 8}}',
    'a: &x [1, 2]\nb: *x\nc: !!binary aGVsbG8=\nd: { e: [f, {g: h}] }\n',
  ].map((s) => enc.encode(s));
  return {
    name: 'config',
    input: fc.tuple(mutated(seeds), fc.boolean()).map(([b, json]) => { const out = new Uint8Array(b.length + 1); out.set(b); out[b.length] = json ? 1 : 0; return out; }),
    run: (b) => {
      const json = b[b.length - 1] === 1;
      const parsed = parseConfigText(dec.decode(b.subarray(0, b.length - 1)), json ? 'fuzz.json' : 'fuzz.yaml');
      if (E.isLeft(parsed)) throw parsed.left;
      const merged = applyOverrides(parsed.right, ['train.steps=3']);
      if (E.isLeft(merged)) throw merged.left;
      const decoded = decodeWithDefaults(TrainGanCliConfig, {}, merged.right, 'fuzz.yaml');
      if (E.isLeft(decoded)) throw decoded.left;
    },
  };
};

const directionTarget = (): FuzzTarget => {
  // A stand-in generator: direction files only read its id and latent sizes.
  const g = { id: 'fuzz-generator', latentDim: 4, wDim: 4 } as Pick<Generator, 'id' | 'latentDim' | 'wDim'> as Generator;
  const make = (variant: 'single' | 'dual', space: 'z' | 'w'): Uint8Array => {
    const v = tf.variable(tf.tensor1d([0.5, -0.5, 0.25, 1]), false);
    const d = variant === 'dual' ? tf.variable(tf.tensor1d([1, 2, 3, 4]), false) : undefined;
    const dir = new LatentDirection({ generatorId: g.id, variant, space, maskRadius: 3 }, v, d);
    const bytes = directionToBytes(dir);
    dir.dispose();
    return bytes;
  };
  const seeds = [make('single', 'z'), make('dual', 'w')];
  return {
    name: 'direction',
    input: fc.oneof(mutated(seeds), safetensorsHeaderEdit(seeds)),
    run: (b) => { directionFromBytes(b, g, 'fuzz-direction.safetensors').dispose(); },
  };
};

/**
 * Metric inputs (what `evaluate` feeds the protocols after decoding the mask files): byte 0 picks the
 * protocol, byte 1 the number of images, bytes 2–3 the pixels per prediction and per ground truth
 * (they may differ), then each image's prediction as raw float32 (NaN, ±∞, 1e38 included), its ground
 * truth as bytes / 255, and a K-class probability map for `gansegForeground`. Short inputs give short
 * (even empty) arrays.
 */
const metricsTarget = (): FuzzTarget => {
  const seed = (protocol: number, images: number, pixels: number): Uint8Array => {
    const out: number[] = [protocol, images, pixels, pixels];
    for (let i = 0; i < images; i++) {
      const f = new Float32Array(Array.from({ length: pixels }, (_, k) => ((k * 37 + i * 11) % 100) / 100));
      out.push(...new Uint8Array(f.buffer), ...Array.from({ length: pixels }, (_, k) => ((k + i) % 3 === 0 ? 255 : 0)));
    }
    return Uint8Array.from(out);
  };
  const seeds = PROTOCOLS.map((_, i) => seed(i, 2, 16));
  return {
    name: 'metrics',
    input: mutated(seeds),
    run: (b) => {
      if (b.length < 4) return;
      const protocol = PROTOCOLS[b[0]! % PROTOCOLS.length]!;
      const images = b[1]!, np = b[2]!, ng = b[3]!;
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      let at = 4;
      const acc = createAccumulator(protocol);
      for (let i = 0; i < images && at < b.length; i++) {
        const pred = new Float32Array(Math.max(0, Math.min(np, Math.floor((b.length - at) / 4))));
        for (let k = 0; k < pred.length; k++, at += 4) pred[k] = view.getFloat32(at, true);
        const gt = Float32Array.from(b.subarray(at, at + ng), (v) => v / 255);
        at += gt.length;
        acc.add(pred, gt);
        gansegForeground(pred, 1 + (b[0]! % 4));
      }
      const r = acc.report();
      for (const v of [r.acc, r.iou, r.fmax, r.mae]) {
        if (v !== null && typeof v !== 'number') throw new Error(`metrics: a report value is ${typeof v}`);
      }
    },
  };
};

/**
 * Every fuzz target, built on demand (seeds come from `test/fixtures/`; run from the repository root).
 *
 * @example
 * ```ts
 * for (const t of fuzzTargets()) fc.assert(fc.property(t.input, (b) => checkCase(t, b)), { seed: 1, numRuns: 300 });
 * ```
 */
export const fuzzTargets = (): FuzzTarget[] => [safetensorsTarget(), npyTarget(), torchTarget(), pngTarget(), jpegTarget(), configTarget(), directionTarget(), metricsTarget()];

/** What {@link checkCase} saw. */
export interface CaseResult {
  /** `parsed` when the parser returned, `typed` when it threw a GanSegmenterError. */
  readonly outcome: 'parsed' | 'typed';
  /** Milliseconds the case took. */
  readonly ms: number;
}

/** Cases slower than this count as hangs. */
export const CASE_LIMIT_MS = 3000;

/**
 * Run one case; returns its outcome, or throws (with the offending error and
 * input size) when the parser threw anything other than a typed error or took
 * longer than {@link CASE_LIMIT_MS}.
 *
 * @example
 * ```ts
 * const r = checkCase(fuzzTargets()[0]!, bytes); // { outcome: 'typed', ms: 0.2 }
 * ```
 */
export const checkCase = (t: FuzzTarget, bytes: Uint8Array): CaseResult => {
  const t0 = performance.now();
  let outcome: CaseResult['outcome'] = 'parsed';
  try {
    t.run(bytes);
  } catch (e) {
    try {
      assertTyped(e);
    } catch {
      throw new Error(`${t.name}: untyped ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)} on a ${bytes.length}-byte input`, { cause: e });
    }
    outcome = 'typed';
  }
  const ms = performance.now() - t0;
  if (ms > CASE_LIMIT_MS) throw new Error(`${t.name}: a ${bytes.length}-byte input took ${ms.toFixed(0)} ms (limit ${CASE_LIMIT_MS})`);
  return { outcome, ms };
};
