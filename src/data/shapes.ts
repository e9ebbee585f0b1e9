/**
 * `shapes`: a synthetic segmentation benchmark with exact masks. One object
 * per image (ellipse, polygon or smooth blob; textured and shaded) on a
 * textured or gradient background. Deterministic from an {@link Rng}, any
 * resolution, pure JS (a few ms per 64×64 image).
 *
 * The object covers 10–50 % of the image and stays mostly inside the frame;
 * colours and textures vary so that a centre prior and an Otsu threshold fail
 * (see `bench/data-baselines.ts` and `src/data/README.md`).
 *
 * @module
 */
import type { Rng } from '../core/rng.ts';
import type { Raster } from '../io/image.ts';

/** One (image, mask) pair. */
export interface SegmentationSample {
  /** Identifier (file stem or index). */
  readonly id: string;
  /** RGB image, values in [0, 1]. */
  readonly image: Raster;
  /** Foreground mask, 1 channel, values in [0, 1]. */
  readonly mask: Raster;
}

type Rgb = [number, number, number];
/** A colour field over normalized coordinates. */
type Field = (u: number, v: number) => Rgb;

const randomColor = (rng: Rng): Rgb => [rng.uniform(), rng.uniform(), rng.uniform()];
const dist = (a: Rgb, b: Rgb): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
const lumaOf = (c: Rgb): number => 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
const mix = (a: Rgb, b: Rgb, t: number): Rgb => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];

/** Smooth noise: a sum of a few random plane waves, in [0, 1]. */
const waves = (rng: Rng, count: number, minFreq: number, maxFreq: number): ((u: number, v: number) => number) => {
  const w = Array.from({ length: count }, () => {
    const a = rng.uniform(0, 2 * Math.PI), f = rng.uniform(minFreq, maxFreq) * 2 * Math.PI;
    return { fx: f * Math.cos(a), fy: f * Math.sin(a), ph: rng.uniform(0, 2 * Math.PI) };
  });
  return (u, v) => {
    let s = 0;
    for (const { fx, fy, ph } of w) s += Math.sin(fx * u + fy * v + ph);
    return 0.5 + (0.5 * s) / Math.sqrt(count * 2) ;
  };
};

/** A random texture between colours `a` and `b`. */
const texture = (rng: Rng, a: Rgb, b: Rgb, scale: number): Field => {
  const kind = rng.int(0, 5);
  if (kind === 0) { // linear gradient
    const ang = rng.uniform(0, 2 * Math.PI), cx = Math.cos(ang), cy = Math.sin(ang);
    return (u, v) => mix(a, b, Math.min(1, Math.max(0, 0.5 + (u - 0.5) * cx + (v - 0.5) * cy)));
  }
  if (kind === 1) { // radial gradient
    const ox = rng.uniform(0, 1), oy = rng.uniform(0, 1);
    return (u, v) => mix(a, b, Math.min(1, Math.hypot(u - ox, v - oy) * 1.2));
  }
  if (kind === 2) { // stripes
    const ang = rng.uniform(0, Math.PI), f = rng.uniform(3, 9) * scale * 2 * Math.PI, cx = Math.cos(ang), cy = Math.sin(ang);
    const sharp = rng.bernoulli(0.5);
    return (u, v) => {
      const s = 0.5 + 0.5 * Math.sin(f * (u * cx + v * cy));
      return mix(a, b, sharp ? (s > 0.5 ? 1 : 0) : s);
    };
  }
  if (kind === 3) { // checker
    const n = rng.uniform(3, 8) * scale, ang = rng.uniform(0, Math.PI / 2), c = Math.cos(ang), s = Math.sin(ang);
    return (u, v) => mix(a, b, (Math.floor(n * (u * c + v * s)) + Math.floor(n * (-u * s + v * c))) & 1);
  }
  const noise = waves(rng, 6, 1.5 * scale, 5 * scale); // blotches
  return (u, v) => mix(a, b, noise(u, v));
};

/** A shape: `inside(u, v)` over normalized coordinates. */
interface Shape {
  readonly inside: (u: number, v: number) => boolean;
  /** Centre. */
  readonly cx: number;
  readonly cy: number;
  /** Largest distance from the centre to the outline. */
  readonly radius: number;
}

const ellipse = (rng: Rng, area: number): Omit<Shape, 'cx' | 'cy'> & { at: (cx: number, cy: number) => Shape } => {
  const ratio = Math.exp(rng.uniform(Math.log(0.5), Math.log(2))), theta = rng.uniform(0, Math.PI);
  const a = Math.sqrt((area / Math.PI) * ratio), b = area / Math.PI / a, c = Math.cos(theta), s = Math.sin(theta);
  const radius = Math.max(a, b);
  return {
    radius, inside: () => false,
    at: (cx, cy) => ({ cx, cy, radius, inside: (u, v) => { const x = (u - cx) * c + (v - cy) * s, y = -(u - cx) * s + (v - cy) * c; return (x * x) / (a * a) + (y * y) / (b * b) <= 1; } }),
  };
};

/** Star-shaped outline r(θ) sampled on a polygon or a smooth Fourier blob, scaled to `area`. */
const radial = (rng: Rng, area: number, polygon: boolean): Omit<Shape, 'cx' | 'cy'> & { at: (cx: number, cy: number) => Shape } => {
  let r: (t: number) => number;
  let angles: number[] = [], radii: number[] = [];
  if (polygon) {
    const n = rng.int(3, 9), star = n >= 5 && rng.bernoulli(0.4);
    const jitter = Array.from({ length: n }, () => rng.uniform(-0.3, 0.3) * (2 * Math.PI / n));
    const rot = rng.uniform(0, 2 * Math.PI);
    angles = Array.from({ length: n }, (_, i) => rot + (i * 2 * Math.PI) / n + (jitter[i] as number));
    radii = Array.from({ length: n }, (_, i) => (star && i % 2 === 1 ? rng.uniform(0.45, 0.65) : rng.uniform(0.8, 1)));
    r = () => 1;
  } else {
    const terms = Array.from({ length: 4 }, (_, k) => ({ k: k + 2, a: rng.uniform(0, 0.22 / (k + 1)), ph: rng.uniform(0, 2 * Math.PI) }));
    r = (t) => 1 + terms.reduce((s, { k, a, ph }) => s + a * Math.sin(k * t + ph), 0);
  }
  // area of the unit outline, numerically (polygon: shoelace)
  let unitArea = 0, unitMax = 0;
  if (polygon) {
    const pts = angles.map((t, i) => [Math.cos(t) * (radii[i] as number), Math.sin(t) * (radii[i] as number)] as const);
    for (let i = 0; i < pts.length; i++) {
      const p = pts[i] as readonly [number, number], q = pts[(i + 1) % pts.length] as readonly [number, number];
      unitArea += (p[0] * q[1] - q[0] * p[1]) / 2;
    }
    unitArea = Math.abs(unitArea);
    unitMax = Math.max(...radii);
  } else {
    const m = 256;
    for (let i = 0; i < m; i++) { const v = r((i * 2 * Math.PI) / m); unitArea += (0.5 * v * v * 2 * Math.PI) / m; unitMax = Math.max(unitMax, v); }
  }
  const scale = Math.sqrt(area / unitArea), radius = unitMax * scale;
  const at = (cx: number, cy: number): Shape => {
    if (polygon) {
      const xs = angles.map((t, i) => cx + Math.cos(t) * (radii[i] as number) * scale);
      const ys = angles.map((t, i) => cy + Math.sin(t) * (radii[i] as number) * scale);
      return {
        cx, cy, radius,
        inside: (u, v) => { // even–odd rule
          let inside = false;
          for (let i = 0, j = xs.length - 1; i < xs.length; j = i++) {
            const yi = ys[i] as number, yj = ys[j] as number, xi = xs[i] as number, xj = xs[j] as number;
            if (yi > v !== yj > v && u < ((xj - xi) * (v - yi)) / (yj - yi) + xi) inside = !inside;
          }
          return inside;
        },
      };
    }
    return { cx, cy, radius, inside: (u, v) => Math.hypot(u - cx, v - cy) <= scale * r(Math.atan2(v - cy, u - cx)) };
  };
  return { radius, inside: () => false, at };
};

/** Options of {@link generateShapeSample}. */
export interface ShapesOptions {
  /** Image side in pixels. Default 64. */
  readonly size?: number;
  /** Object area as a fraction of the image, [min, max]. Default [0.1, 0.5]. */
  readonly areaRange?: readonly [number, number];
  /** Pixel noise standard deviation. Default 0.03. */
  readonly noise?: number;
}

/**
 * Draw one `shapes` sample. Same `rng` state ⇒ same sample. The mask is exact:
 * a pixel is foreground when its centre lies inside the outline; the image
 * edge is antialiased with 2×2 supersampling.
 *
 * @example
 * ```ts
 * const { image, mask } = generateShapeSample(new Rng(1), { size: 64 });
 * ```
 */
export const generateShapeSample = (rng: Rng, options: ShapesOptions = {}, id = '0'): SegmentationSample => {
  const size = options.size ?? 64, [amin, amax] = options.areaRange ?? [0.1, 0.5], noiseStd = options.noise ?? 0.03;
  // colours: background pair, object pair; object base far enough from both background colours
  const bgA = randomColor(rng), bgB = rng.bernoulli(0.8) ? randomColor(rng) : mix(bgA, randomColor(rng), 0.3);
  // half of the objects are iso-luminant with the background (differ in hue only), so a luma threshold fails
  const isoLuma = rng.bernoulli(0.5), bgLuma = lumaOf(mix(bgA, bgB, 0.5));
  let obA = randomColor(rng);
  for (let k = 0; k < 50; k++) {
    const far = Math.min(dist(obA, bgA), dist(obA, bgB)) >= 0.35;
    if (far && (!isoLuma || Math.abs(lumaOf(obA) - bgLuma) < 0.08)) break;
    obA = randomColor(rng);
  }
  const obB = mix(obA, randomColor(rng), rng.uniform(0.1, 0.6));
  const bg = texture(rng, bgA, bgB, 1), fill = texture(rng, obA, obB, 1.5);
  // geometry
  const area = rng.uniform(amin, amax), kind = rng.int(0, 3);
  const proto = kind === 0 ? ellipse(rng, area) : radial(rng, area, kind === 1);
  const m = Math.min(0.5, proto.radius * 0.8); // keep the centre so that at most a sliver leaves the frame
  const shape = proto.at(rng.uniform(m, 1 - m), rng.uniform(m, 1 - m));
  // shading: a light direction, strength, and a soft shadow-like darkening toward one side
  const la = rng.uniform(0, 2 * Math.PI), lk = rng.uniform(0, 0.35), lx = Math.cos(la), ly = Math.sin(la);
  const seed = rng.int(0, 2 ** 31 - 1);
  const image = new Float32Array(size * size * 3), mask = new Float32Array(size * size);
  const sub = [0.25, 0.75];
  let noiseState = seed >>> 0;
  const gauss = (): number => { // small xorshift + Box–Muller (fast; seeded from rng)
    noiseState ^= noiseState << 13; noiseState >>>= 0; noiseState ^= noiseState >>> 17; noiseState ^= noiseState << 5; noiseState >>>= 0;
    const u1 = (noiseState + 1) / 4294967297;
    noiseState ^= noiseState << 13; noiseState >>>= 0; noiseState ^= noiseState >>> 17; noiseState ^= noiseState << 5; noiseState >>>= 0;
    const u2 = noiseState / 4294967296;
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size, v = (y + 0.5) / size, i = y * size + x;
      mask[i] = shape.inside(u, v) ? 1 : 0;
      let cover = 0;
      for (const sy of sub) for (const sx of sub) cover += shape.inside((x + sx) / size, (y + sy) / size) ? 0.25 : 0;
      const b = bg(u, v);
      let o: Rgb = [0, 0, 0];
      if (cover > 0) {
        const f = fill(u, v), d = ((u - shape.cx) * lx + (v - shape.cy) * ly) / Math.max(1e-6, shape.radius);
        const shade = Math.max(0.3, 1 + lk * d);
        o = [f[0] * shade, f[1] * shade, f[2] * shade];
      }
      for (let k = 0; k < 3; k++) {
        const val = (b[k] as number) * (1 - cover) + (o[k] as number) * cover + noiseStd * gauss();
        image[i * 3 + k] = Math.min(1, Math.max(0, val));
      }
    }
  }
  return { id, image: { width: size, height: size, channels: 3, data: image }, mask: { width: size, height: size, channels: 1, data: mask } };
};

/** A random-access dataset of (image, mask) pairs. */
export interface SegmentationDataset {
  /** A name for messages. */
  readonly name: string;
  /** Number of samples. */
  readonly length: number;
  /** Load sample `index` (0 ≤ index < length). */
  get(index: number): Promise<SegmentationSample>;
}

/**
 * The `shapes` dataset: sample `i` is drawn from `rng.fork('shapes/i')`, so
 * any index can be generated alone, in any order, with the same result.
 *
 * @example
 * ```ts
 * const ds = shapesDataset(new Rng('train'), 1000, { size: 32 });
 * const { image, mask } = await ds.get(17);
 * ```
 */
export const shapesDataset = (rng: Rng, length: number, options: ShapesOptions = {}): SegmentationDataset => ({
  name: `shapes(${rng.seed})`,
  length,
  get: async (index) => generateShapeSample(rng.fork(`shapes/${index}`), options, String(index).padStart(6, '0')),
});
