import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32c, encodeEvent, maskedCrc32c, tfRecord } from '../../src/train/tensorboard.ts';
import { TensorBoardWriter, JsonlLogger } from '../../src/train/log.ts';

test('crc32c matches the RFC 3720 / iSCSI test vectors', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  // masked = rotr15(crc) + 0xa282ead8
  const c = 0xe3069283;
  assert.equal(maskedCrc32c(new TextEncoder().encode('123456789')), ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0);
});

test('encodeEvent bytes for {wall_time 1.5, step 3, summary{value{tag "a", simple_value 0.25}}} are the hand-encoded protobuf', () => {
  const got = [...encodeEvent({ wallTime: 1.5, step: 3, scalars: [{ tag: 'a', value: 0.25 }] })];
  const expected = [
    0x09, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, // field 1 double 1.5
    0x10, 0x03, // field 2 varint 3
    0x2a, 0x0a, // field 5 summary, 10 bytes
    0x0a, 0x08, // summary.value, 8 bytes
    0x0a, 0x01, 0x61, // tag "a"
    0x15, 0x00, 0x00, 0x80, 0x3e, // simple_value 0.25f
  ];
  assert.deepEqual(got, expected);
  assert.deepEqual([...encodeEvent({ wallTime: 0, step: 300, fileVersion: 'v' })].slice(9), [0x10, 0xac, 0x02, 0x1a, 0x01, 0x76]);
});

/** Independent reader: TFRecord framing + a minimal protobuf walk. */
const readEvents = (bytes: Uint8Array): { step: number; wallTime: number; tags: Record<string, number>; fileVersion?: string }[] => {
  const out = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  while (o < bytes.length) {
    const len = Number(dv.getBigUint64(o, true));
    assert.equal(dv.getUint32(o + 8, true), maskedCrc32c(bytes.subarray(o, o + 8)), 'length crc');
    const data = bytes.subarray(o + 12, o + 12 + len);
    assert.equal(dv.getUint32(o + 12 + len, true), maskedCrc32c(data), 'data crc');
    o += 16 + len;
    const ev: { step: number; wallTime: number; tags: Record<string, number>; fileVersion?: string } = { step: 0, wallTime: 0, tags: {} };
    const walk = (b: Uint8Array, onField: (f: number, w: number, v: number | Uint8Array, at: number) => void): void => {
      let p = 0;
      const vi = (): number => { let r = 0, s = 0, c; do { c = b[p++]!; r += (c & 0x7f) * 2 ** s; s += 7; } while (c & 0x80); return r; };
      while (p < b.length) {
        const key = vi(), f = key >> 3, w = key & 7;
        if (w === 0) onField(f, w, vi(), p);
        else if (w === 1) { onField(f, w, b.subarray(p, p + 8), p); p += 8; }
        else if (w === 5) { onField(f, w, b.subarray(p, p + 4), p); p += 4; }
        else { const n = vi(); onField(f, w, b.subarray(p, p + n), p); p += n; }
      }
    };
    const f64 = (b: Uint8Array): number => new DataView(b.slice().buffer).getFloat64(0, true);
    const f32 = (b: Uint8Array): number => new DataView(b.slice().buffer).getFloat32(0, true);
    walk(data, (f, _w, v) => {
      if (f === 1) ev.wallTime = f64(v as Uint8Array);
      if (f === 2) ev.step = v as number;
      if (f === 3) ev.fileVersion = new TextDecoder().decode(v as Uint8Array);
      if (f === 5) walk(v as Uint8Array, (_f, _w2, val) => {
        let tag = '', x = NaN;
        walk(val as Uint8Array, (ff, _w3, vv) => { if (ff === 1) tag = new TextDecoder().decode(vv as Uint8Array); if (ff === 2) x = f32(vv as Uint8Array); });
        ev.tags[tag] = x;
      });
    });
    out.push(ev);
  }
  return out;
};

test('TensorBoardWriter file decodes: version record then scalars with valid masked crc32c', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-'));
  const w = new TensorBoardWriter(dir);
  w.scalars(7, { 'loss/D': 1.25, 'loss/G': -0.5 });
  w.scalars(8, { 'loss/D': 1 });
  const evs = readEvents(new Uint8Array(fs.readFileSync(w.file)));
  assert.equal(evs.length, 3);
  assert.equal(evs[0]!.fileVersion, 'brain.Event:2');
  assert.deepEqual(evs[1]!.tags, { 'loss/D': 1.25, 'loss/G': -0.5 });
  assert.equal(evs[1]!.step, 7);
  assert.equal(evs[2]!.step, 8);
  assert.ok(Math.abs(evs[2]!.wallTime - Date.now() / 1000) < 60);
  assert.equal(tfRecord(new Uint8Array(0)).length, 16);
  const j = new JsonlLogger(path.join(dir, 'log.jsonl'));
  j.write(3, { a: 1 });
  assert.equal(JSON.parse(fs.readFileSync(j.file, 'utf8').trim()).a, 1);
  fs.rmSync(dir, { recursive: true });
});
