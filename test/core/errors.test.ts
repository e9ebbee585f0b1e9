import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendError, ConfigError, DataError, GanSegmenterError, ShapeError, WeightsError } from '../../src/core/errors.ts';

test('typed errors keep instanceof, name, and a message that starts with where', () => {
  const cases = [
    new ShapeError('conv2d', 'x must be rank 4'),
    new WeightsError('load(g.pt)', 'missing key'),
    new DataError('ImageFolder(x)', 'unreadable', 'x/a.png'),
    new BackendError('initBackend', 'not installed'),
    new ConfigError('cfg', [{ path: 'a', expected: 'number', given: '"x"' }]),
  ];
  for (const e of cases) {
    assert.ok(e instanceof GanSegmenterError);
    assert.ok(e instanceof Error);
    assert.equal(e.name, e.constructor.name);
    assert.ok(e.message.startsWith(`${e.where}: `), e.message);
  }
  assert.ok(cases[0] instanceof ShapeError && !(cases[0] instanceof WeightsError));
  assert.equal((cases[2] as DataError).file, 'x/a.png');
});
