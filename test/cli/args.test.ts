import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectArgs, requireFlag, splitArgs } from '../../src/cli/args.ts';
import { parseTrainArgs } from '../../src/cli/training.ts';
import { ConfigError } from '../../src/core/errors.ts';

test('splitArgs: positionals, --flag value, --flag=value, bare boolean flags, key=value overrides', () => {
  const a = splitArgs(['imgs', '--model', 'ck', '--out=o=1', '--probabilities', 'threshold=0.4', 'train.augment=[flip,crop]'], ['probabilities']);
  assert.deepEqual(a, { positional: ['imgs'], flags: { model: 'ck', out: 'o=1', probabilities: 'true' }, overrides: ['threshold=0.4', 'train.augment=[flip,crop]'] });
  assert.throws(() => splitArgs(['--model']), (e: unknown) => e instanceof ConfigError && /--model/.test(e.message));
  assert.throws(() => splitArgs(['--model', '--out', 'x']), ConfigError);
  assert.equal(requireFlag(a, 'model', 'segment'), 'ck');
  assert.throws(() => requireFlag(a, 'gt', 'evaluate'), (e: unknown) => e instanceof ConfigError && /--gt/.test(e.message));
});

test('expectArgs names every unknown flag, extra positional and unexpected override in one ConfigError', () => {
  const ok = splitArgs(['--pred', 'p', '--json'], ['json']);
  assert.equal(expectArgs(ok, { flags: ['pred', 'json'] }, 'evaluate'), ok);
  assert.throws(() => expectArgs(splitArgs(['--prd', 'p', 'extra', 'a=1']), { flags: ['pred'] }, 'evaluate'),
    (e: unknown) => e instanceof ConfigError && e.issues.length === 3 && e.issues[0]!.path === '--prd' && /extra/.test(e.message) && /a=1/.test(e.message));
  assert.doesNotThrow(() => expectArgs(splitArgs(['dir', 'a=1']), { flags: [], positional: 1, overrides: true }, 'x'));
});

test('parseTrainArgs (train-gan, train-segmenter) goes through splitArgs: --config/-c/--config=, --resume, overrides; anything else is a ConfigError', () => {
  assert.deepEqual(parseTrainArgs(['--config', 'c.yaml', 'train.steps=10', 'out=runs/b=c'], 'train-gan'), { config: 'c.yaml', resume: undefined, overrides: ['train.steps=10', 'out=runs/b=c'] });
  assert.deepEqual(parseTrainArgs(['-c', 'c.yaml', '--resume=runs/a'], 'train-gan'), { config: 'c.yaml', resume: 'runs/a', overrides: [] });
  assert.deepEqual(parseTrainArgs(['--resume', 'runs/a', 'train.steps=4'], 'train-segmenter'), { config: undefined, resume: 'runs/a', overrides: ['train.steps=4'] });
  for (const bad of [['--resume'], ['--config'], ['--steps', '3'], ['stray']]) assert.throws(() => parseTrainArgs(bad, 'train-gan'), ConfigError, bad.join(' '));
});
