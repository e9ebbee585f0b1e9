import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withoutModulePrefix, type StateDict, type StoredTensor } from '../../src/io/state-dict.ts';

const tensor = (v: number): StoredTensor => ({ dtype: 'float32', shape: [1], data: Float32Array.of(v) });

test('withoutModulePrefix: module.conv.weight → conv.weight, other keys kept, values shared', () => {
  const a = tensor(1), b = tensor(2);
  const dict: StateDict = new Map([['module.conv.weight', a], ['fc.bias', b]]);
  const out = withoutModulePrefix(dict);
  assert.deepEqual([...out.keys()], ['conv.weight', 'fc.bias']);
  assert.equal(out.get('conv.weight'), a);
  assert.equal(out.get('fc.bias'), b);
  assert.equal(dict.size, 2);
  assert.ok(dict.has('module.conv.weight'));
});
