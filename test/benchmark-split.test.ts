import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '../src/core/errors.ts';
import { checkSplit, makeSplit, readSplit } from '../src/data/split.ts';

const names = Array.from({ length: 200 }, (_, i) => `horse${String(i + 1).padStart(3, '0')}.jpg`);

test('makeSplit 200 names, 60 validation: deterministic, order-independent, disjoint, covers all', () => {
  const a = makeSplit('h', names, 60, 0);
  const b = makeSplit('h', [...names].reverse(), 60, 0);
  assert.deepEqual(a, b);
  assert.equal(a.validation.length, 60);
  assert.equal(a.test.length, 140);
  const v = new Set(a.validation);
  assert.equal(a.test.filter((f) => v.has(f)).length, 0);
  assert.deepEqual([...a.validation, ...a.test].sort(), names);
  assert.deepEqual([...a.validation].sort(), a.validation); // parts sorted
  assert.notDeepEqual(makeSplit('h', names, 60, 1).validation, a.validation); // the seed matters
  checkSplit(a, names, 'test');
});

test('the committed weizmann-horse split is makeSplit(seed 0, 60) of its 200 names', () => {
  const s = readSplit('assets/splits/weizmann-horse.json');
  const all = [...s.validation, ...s.test].sort();
  assert.deepEqual(all, names);
  assert.deepEqual(makeSplit('weizmann-horse', all, 60, 0), s);
});

test('checkSplit rejects overlap, missing and extra names', () => {
  const s = makeSplit('h', names.slice(0, 10), 3, 0);
  assert.throws(() => checkSplit({ ...s, test: [...s.test, s.validation[0] as string] }, names.slice(0, 10), 't'), DataError);
  assert.throws(() => checkSplit(s, names.slice(0, 11), 't'), /in neither part/);
  assert.throws(() => checkSplit(s, names.slice(0, 9), 't'), /not in it/);
  assert.throws(() => makeSplit('h', names.slice(0, 10), 10, 0), DataError);
});
