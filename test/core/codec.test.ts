import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { decode, decodeOrThrow, PositiveInt, PowerOfTwo, Probability, Resolution, PositiveNumber, NonNegativeInt } from '../../src/core/codec.ts';
import { ConfigError } from '../../src/core/errors.ts';

const Cfg = t.type({
  batch: PositiveInt,
  width: PowerOfTwo,
  p: Probability,
  res: Resolution,
  lr: PositiveNumber,
  warmup: NonNegativeInt,
  net: t.type({ depth: PositiveInt, name: t.string }),
  list: t.array(PositiveInt),
});

const good = { batch: 8, width: 64, p: 0.5, res: 128, lr: 1e-3, warmup: 0, net: { depth: 4, name: 'u' }, list: [1, 2] };

test('decode accepts a valid config', () => {
  const r = decode(Cfg, good);
  assert.ok(E.isRight(r));
  assert.equal(decodeOrThrow(Cfg, good).net.depth, 4);
});

test('decode lists every wrong field with path, expected and given', () => {
  const r = decode(Cfg, { ...good, batch: 0, width: 48, p: 1.5, res: 2, lr: -1, warmup: 0.5, net: { depth: 'x', name: 3 }, list: [1, -2] }, 'train.json');
  assert.ok(E.isLeft(r));
  const err = r.left;
  assert.ok(err instanceof ConfigError);
  assert.ok(err.message.startsWith('train.json: 9 invalid fields'), err.message);
  const byPath = Object.fromEntries(err.issues.map((i) => [i.path, i]));
  assert.deepEqual(Object.keys(byPath).sort(), ['batch', 'list.1', 'lr', 'net.depth', 'net.name', 'p', 'res', 'warmup', 'width']);
  assert.equal(byPath['batch']!.expected, 'PositiveInt');
  assert.equal(byPath['batch']!.given, '0');
  assert.equal(byPath['width']!.expected, 'PowerOfTwo');
  assert.equal(byPath['net.depth']!.given, '"x"');
  assert.equal(byPath['net.name']!.expected, 'string');
});

test('decode reports a missing field as undefined', () => {
  const { batch: _omit, ...rest } = good;
  const r = decode(Cfg, rest);
  assert.ok(E.isLeft(r));
  assert.deepEqual(r.left.issues.map((i) => [i.path, i.given]), [['batch', 'undefined']]);
  assert.throws(() => decodeOrThrow(Cfg, rest), ConfigError);
});
