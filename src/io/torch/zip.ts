/**
 * A small zip reader for `torch.save` archives: reads the central directory
 * (zip64 included), returns stored entries as views of the file (no copy) and
 * inflates deflated ones with fflate.
 *
 * @module
 */
import { inflateSync } from 'fflate';

/**
 * Thrown for malformed or truncated zip archives (callers wrap it into a WeightsError).
 *
 * @example
 * ```ts
 * try { readZip(bytes); } catch (e) { if (e instanceof ZipError) console.error(e.message); }
 * ```
 */
export class ZipError extends Error {}

/** Deflate's largest possible expansion ratio (a 258-byte match per 2 bits, plus block overhead). */
const MAX_DEFLATE_RATIO = 1032;

/** One entry of a zip archive. */
export interface ZipEntry {
  /** Path inside the archive. */
  readonly name: string;
  /** The entry's bytes (a view into the archive for stored entries). */
  data(): Uint8Array;
}

/**
 * `true` when `bytes` starts with a zip local-file header.
 *
 * @example
 * ```ts
 * isZip(readFileSync('model.pt')); // true for torch.save ≥ 1.6
 * ```
 */
export const isZip = (bytes: Uint8Array): boolean =>
  bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;

/**
 * List a zip archive's entries by name.
 *
 * @example
 * ```ts
 * const entries = readZip(bytes);
 * const pkl = [...entries.values()].find((e) => e.name.endsWith('/data.pkl'))?.data();
 * ```
 */
export const readZip = (bytes: Uint8Array): Map<string, ZipEntry> => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  const check = (off: number, len: number, what: string): void => {
    if (off < 0 || off + len > n) throw new ZipError(`truncated zip: ${what} at offset ${off}+${len} beyond file size ${n}`);
  };
  // End of central directory: last 22..65557 bytes.
  let eocd = -1;
  for (let i = n - 22; i >= Math.max(0, n - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new ZipError('no end-of-central-directory record (file truncated or not a zip)');
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) {
    const loc = eocd - 20;
    check(loc, 20, 'zip64 locator');
    if (view.getUint32(loc, true) !== 0x07064b50) throw new ZipError('zip64 locator missing');
    const rec = Number(view.getBigUint64(loc + 8, true));
    check(rec, 56, 'zip64 end record');
    if (view.getUint32(rec, true) !== 0x06064b50) throw new ZipError('zip64 end record missing');
    count = Number(view.getBigUint64(rec + 32, true));
    cdSize = Number(view.getBigUint64(rec + 40, true));
    cdOffset = Number(view.getBigUint64(rec + 48, true));
  }
  check(cdOffset, cdSize, 'central directory');
  const td = new TextDecoder();
  const out = new Map<string, ZipEntry>();
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    check(p, 46, 'central directory entry');
    if (view.getUint32(p, true) !== 0x02014b50) throw new ZipError(`bad central directory entry signature at ${p}`);
    const method = view.getUint16(p + 10, true);
    let compSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let local = view.getUint32(p + 42, true);
    check(p + 46, nameLen + extraLen, 'entry name');
    const name = td.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // zip64 extra field: the 0xffffffff fields, in order size, compressed size, offset.
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = view.getUint16(e, true), len = view.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) { size = Number(view.getBigUint64(q, true)); q += 8; }
        if (compSize === 0xffffffff) { compSize = Number(view.getBigUint64(q, true)); q += 8; }
        if (local === 0xffffffff) { local = Number(view.getBigUint64(q, true)); }
      }
      e += 4 + len;
    }
    p = eEnd + commentLen;
    const entryName = name, m = method, cs = compSize, us = size, lo = local;
    out.set(name, {
      name: entryName,
      data: () => {
        check(lo, 30, `local header of ${entryName}`);
        if (view.getUint32(lo, true) !== 0x04034b50) throw new ZipError(`bad local header signature for ${entryName}`);
        const start = lo + 30 + view.getUint16(lo + 26, true) + view.getUint16(lo + 28, true);
        check(start, cs, `data of ${entryName}`);
        const raw = bytes.subarray(start, start + cs);
        if (m === 0) return raw;
        if (m === 8) {
          // Deflate expands at most 1032:1; a larger claimed size is a lie, refused before allocating it.
          if (us > cs * MAX_DEFLATE_RATIO + 64) throw new ZipError(`entry ${entryName} claims ${us} bytes uncompressed from ${cs} compressed bytes, more than deflate's ${MAX_DEFLATE_RATIO}:1 ratio allows`);
          try {
            return inflateSync(raw, { out: new Uint8Array(us) });
          } catch (err) {
            throw new ZipError(`cannot inflate ${entryName}: ${(err as Error).message}`);
          }
        }
        throw new ZipError(`entry ${entryName} uses unsupported compression method ${m}`);
      },
    });
  }
  return out;
};
