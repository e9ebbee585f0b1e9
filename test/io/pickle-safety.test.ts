// No code execution: a pickle naming any global outside the tensor-rebuild
// allow-list is refused with a WeightsError naming it, before anything is called.
// Every byte string below is written by hand with the pickle opcodes (checked
// with `python3 -c 'import pickletools; pickletools.dis(...)'`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import { WeightsError } from '../../src/core/errors.ts';
import { isAllowedTorchGlobal, PickleGlobalError, readTorchCheckpoint, unpickle, parseTorchBytes } from '../../src/io/torch/index.ts';

const enc = new TextEncoder();
const cat = (...parts: (Uint8Array | number[] | string)[]): Uint8Array => {
  const bs = parts.map((p) => (typeof p === 'string' ? enc.encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(bs.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const b of bs) { out.set(b, o); o += b.length; }
  return out;
};
const shortStr = (s: string): Uint8Array => cat([0x8c, s.length], s); // SHORT_BINUNICODE

/** Protocol 2: `GLOBAL module name`, one string argument, `REDUCE`: `module.name('id')`. */
const globalCall = (module: string, name: string): Uint8Array =>
  cat([0x80, 2], `c${module}\n${name}\n`, [0x71, 0], [0x58, 2, 0, 0, 0], 'id', [0x71, 1, 0x85, 0x71, 2, 0x52, 0x71, 3, 0x2e]);

/** Protocol 4: `STACK_GLOBAL` of two short strings, one argument, `REDUCE`. */
const stackGlobalCall = (module: string, name: string): Uint8Array => {
  const body = cat(shortStr(module), [0x94], shortStr(name), [0x94, 0x93, 0x94], shortStr('id'), [0x94, 0x85, 0x94, 0x52, 0x94, 0x2e]);
  return cat([0x80, 4, 0x95], [body.length, 0, 0, 0, 0, 0, 0, 0], body);
};

/** Protocol-0 opcodes after a PROTO 2 header: `MARK 'id' INST module name` (class instantiation with arguments). */
const instCall = (module: string, name: string): Uint8Array => cat([0x80, 2], "(S'id'\n", `i${module}\n${name}\n`, 'p0\n.');

/** The same evil call nested inside an otherwise normal `{'state_dict': OrderedDict(), 'x': evil}`. */
const nestedInDict = (module: string, name: string): Uint8Array =>
  cat([0x80, 2, 0x7d, 0x71, 0], [0x28], [0x58, 10, 0, 0, 0], 'state_dict', 'ccollections\nOrderedDict\n', [0x29, 0x52],
    [0x58, 1, 0, 0, 0], 'x', `c${module}\n${name}\n`, [0x58, 2, 0, 0, 0], 'id', [0x85, 0x52, 0x75, 0x2e]);

const EVIL: readonly [string, string][] = [
  ['os', 'system'], ['posix', 'system'], ['nt', 'system'], ['builtins', 'eval'], ['builtins', 'exec'], ['builtins', 'getattr'],
  ['builtins', '__import__'], ['__builtin__', 'eval'], ['subprocess', 'Popen'], ['subprocess', 'check_output'],
  ['torch', 'load'], ['torch._utils', 'not_a_rebuild_function'], ['webbrowser', 'open'], ['runpy', '_run_code'],
];

const LEGACY_MAGIC = cat([0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]); // 0x1950a86a20f9469cfc6c
const LEGACY_PROTOCOL = cat([0x80, 2, 0x4d, 0xe9, 0x03, 0x2e]); // 1001
const LEGACY_SYSINFO = cat([0x80, 2, 0x7d, 0x2e]); // {}
const EMPTY_KEYS = cat([0x80, 2, 0x5d, 0x2e]); // []
const legacyFile = (main: Uint8Array): Uint8Array => cat(LEGACY_MAGIC, LEGACY_PROTOCOL, LEGACY_SYSINFO, main, EMPTY_KEYS);
const torchZip = (pkl: Uint8Array): Uint8Array =>
  zipSync({ 'archive/data.pkl': [pkl, { level: 0 }], 'archive/version': [enc.encode('3\n'), { level: 0 }] });

const refuses = (f: () => unknown, global: string): void =>
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof WeightsError, `expected a WeightsError, got ${String(e)}`);
    assert.match(e.message, new RegExp(`refusing to load: the pickle names global '${global.replace(/[.$]/g, '\\$&')}'`));
    assert.match(e.message, /^evil\.pt/);
    return true;
  });

for (const [module, name] of EVIL) {
  const q = `${module}.${name}`;
  test(`${q}: GLOBAL / STACK_GLOBAL / INST refused as a plain pickle, in a torch zip and in a legacy file`, () => {
    for (const pkl of [globalCall(module, name), stackGlobalCall(module, name), instCall(module, name), nestedInDict(module, name)]) {
      refuses(() => parseTorchBytes(pkl, 'evil.pt'), q);
      refuses(() => readTorchCheckpoint(torchZip(pkl), { where: 'evil.pt' }), q);
      refuses(() => readTorchCheckpoint(legacyFile(pkl), { where: 'evil.pt' }), q);
    }
  });
}

test('a refused global is never called, even when a call table would run it', () => {
  let called = 0;
  const calls = new Map([['os.system', () => { called++; return 0; }]]);
  assert.throws(() => unpickle(globalCall('os', 'system'), 0, { calls }), (e: unknown) => e instanceof PickleGlobalError && e.global === 'os.system');
  assert.throws(() => unpickle(stackGlobalCall('os', 'system'), 0, { calls }), PickleGlobalError);
  assert.equal(called, 0);
  // Only an explicit allow-list lets it through (to the inert call table).
  unpickle(globalCall('os', 'system'), 0, { calls, allowGlobal: () => true });
  assert.equal(called, 1);
});

test('STACK_GLOBAL with non-string operands is a typed error, not a stringified global', () => {
  const b = cat([0x80, 4, 0x4b, 1, 0x4b, 2, 0x93, 0x2e]); // STACK_GLOBAL(1, 2)
  assert.throws(() => parseTorchBytes(b, 'evil.pt'), (e: unknown) => e instanceof WeightsError && /needs two strings/.test(e.message));
});

test('an evil pickle embedded via torch.storage._load_from_bytes is refused too', () => {
  const inner = legacyFile(globalCall('os', 'system'));
  // _load_from_bytes(BINBYTES inner)
  const outer = cat([0x80, 2], 'ctorch.storage\n_load_from_bytes\n', [0x42], [inner.length & 0xff, (inner.length >> 8) & 0xff, 0, 0], inner, [0x85, 0x52, 0x2e]);
  refuses(() => parseTorchBytes(outer, 'evil.pt'), 'os.system');
});

test('allow-list: rebuild functions, storages and containers pass; look-alikes do not', () => {
  for (const q of ['torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter', 'torch.FloatStorage', 'torch.LongStorage',
    'collections.OrderedDict', 'torch.Size', 'torch.nn.modules.conv.Conv2d']) assert.ok(isAllowedTorchGlobal(q), q);
  for (const q of ['os.system', 'torch.nn.modules.module.os.system', 'torch.nn.modules.conv.eval', 'collections.OrderedDictX', 'torch.FloatStorage.__reduce__'])
    assert.ok(!isAllowedTorchGlobal(q), q);
});

test('every torch fixture in the repository still parses under the default allow-list', () => {
  for (const f of ['torch/rosinality.pt', 'torch/legacy.pt', 'torch/flat.bin', 'torch/network.pkl', 'torch/nvlabs.pkl', 'biggan/biggan-tiny-flat.pt',
    'biggan/deep-tiny-io.pt', 'biggan/biggan-tiny-hier.pt', 'stylegan2/tiny-rosinality.pt', 'dcgan/dcgan-16-tiny.pt']) {
    assert.doesNotThrow(() => parseTorchBytes(readFileSync(`test/fixtures/${f}`), f), f);
  }
});
