/**
 * TensorBoard event files, written by hand: TFRecord framing (length, masked
 * crc32c of the length, payload, masked crc32c of the payload) around `Event`
 * protobufs with scalar summaries. Pure encoding lives here; the file writer is
 * in `log.ts`.
 *
 * Format: https://github.com/tensorflow/tensorflow/blob/master/tensorflow/core/util/event.proto
 *
 * @module
 */

// ---------------------------------------------------------------------------
// crc32c (Castagnoli), table-driven
// ---------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32C (Castagnoli polynomial, reflected) of `bytes`.
 *
 * @example
 * ```ts
 * crc32c(new TextEncoder().encode('123456789')); // 0xe3069283
 * ```
 */
export const crc32c = (bytes: Uint8Array): number => {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = (CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)) >>> 0;
  return (c ^ 0xffffffff) >>> 0;
};

/**
 * TFRecord's masked CRC: `((crc >>> 15) | (crc << 17)) + 0xa282ead8` (mod 2^32).
 *
 * @example
 * ```ts
 * const m = maskedCrc32c(new Uint8Array(8));
 * ```
 */
export const maskedCrc32c = (bytes: Uint8Array): number => {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
};

// ---------------------------------------------------------------------------
// Protobuf encoding (just what Event needs)
// ---------------------------------------------------------------------------

const varint = (n: number | bigint): number[] => {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
};
const tagged = (field: number, wire: number): number[] => varint((field << 3) | wire);
const lengthDelimited = (field: number, payload: Uint8Array | number[]): number[] => [...tagged(field, 2), ...varint(payload.length), ...payload];
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** One scalar of a summary. */
export interface ScalarValue {
  /** The series name shown in TensorBoard, e.g. `loss/D`. */
  readonly tag: string;
  /** The value (stored as float32, as TensorBoard's `simple_value`). */
  readonly value: number;
}

/** What one {@link encodeEvent} call writes. */
export interface EventRecord {
  /** Seconds since the Unix epoch. */
  readonly wallTime: number;
  /** Global step. */
  readonly step: number;
  /** Scalars (a `Summary`), or none. */
  readonly scalars?: readonly ScalarValue[];
  /** The `file_version` header string (`brain.Event:2`) instead of a summary. */
  readonly fileVersion?: string;
}

/**
 * Encode an `Event` protobuf: `wall_time` (1, double), `step` (2, int64),
 * `file_version` (3, string) or `summary` (5) with `value { tag (1), simple_value (2, float) }`.
 *
 * @example
 * ```ts
 * const bytes = encodeEvent({ wallTime: 1.5, step: 3, scalars: [{ tag: 'loss', value: 0.25 }] });
 * ```
 */
export const encodeEvent = (e: EventRecord): Uint8Array => {
  const out: number[] = [];
  const d = new DataView(new ArrayBuffer(8));
  d.setFloat64(0, e.wallTime, true);
  out.push(...tagged(1, 1), ...new Uint8Array(d.buffer));
  out.push(...tagged(2, 0), ...varint(Math.trunc(e.step)));
  if (e.fileVersion !== undefined) out.push(...lengthDelimited(3, utf8(e.fileVersion)));
  if (e.scalars) {
    const summary: number[] = [];
    for (const s of e.scalars) {
      const f = new DataView(new ArrayBuffer(4));
      f.setFloat32(0, s.value, true);
      const value = [...lengthDelimited(1, utf8(s.tag)), ...tagged(2, 5), ...new Uint8Array(f.buffer)];
      summary.push(...lengthDelimited(1, value));
    }
    out.push(...lengthDelimited(5, summary));
  }
  return Uint8Array.from(out);
};

/**
 * Frame `data` as one TFRecord: uint64 length, masked crc32c of the length
 * bytes, data, masked crc32c of the data (all little-endian).
 *
 * @example
 * ```ts
 * const rec = tfRecord(encodeEvent({ wallTime: 0, step: 0, fileVersion: 'brain.Event:2' }));
 * ```
 */
export const tfRecord = (data: Uint8Array): Uint8Array => {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, BigInt(data.length), true);
  v.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  v.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
};
