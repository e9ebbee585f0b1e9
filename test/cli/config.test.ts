import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { applyOverrides, loadConfig } from '../../src/cli/config.ts';
import { PositiveInt } from '../../src/core/codec.ts';
import { ConfigError } from '../../src/core/errors.ts';

const Cfg = t.type({ out: t.string, train: t.type({ steps: PositiveInt, lr: t.number, augment: t.array(t.string), on: t.boolean }) });

test('loadConfig YAML + overrides a.b=value parsed as YAML scalars', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
  const f = path.join(dir, 'c.yaml');
  fs.writeFileSync(f, 'out: runs/a\ntrain:\n  steps: 10\n  lr: 0.1\n  augment: [color]\n  on: false\n');
  const r = loadConfig(Cfg, f, ['train.steps=500', 'train.lr=2e-4', 'train.augment=[color, cutout]', 'train.on=true', 'out=runs/b=c']);
  assert.ok(E.isRight(r));
  assert.deepEqual(r.right, { out: 'runs/b=c', train: { steps: 500, lr: 2e-4, augment: ['color', 'cutout'], on: true } });
  const j = path.join(dir, 'c.json');
  fs.writeFileSync(j, JSON.stringify({ out: 'x', train: { steps: 1, lr: 1, augment: [], on: true } }));
  assert.ok(E.isRight(loadConfig(Cfg, j, [])));
  fs.rmSync(dir, { recursive: true });
});

test('loadConfig reports every wrong field, bad files and bad overrides as ConfigError', () => {
  const r = loadConfig(Cfg, undefined, ['out=1', 'train.steps=0', 'train.lr=x', 'train.augment=[]', 'train.on=true']);
  assert.ok(E.isLeft(r) && r.left instanceof ConfigError);
  assert.deepEqual(r.left.issues.map((i) => i.path).sort(), ['out', 'train.lr', 'train.steps']);
  const missing = loadConfig(Cfg, '/nonexistent/c.yaml', []);
  assert.ok(E.isLeft(missing) && /readable/.test(missing.left.message));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
  fs.writeFileSync(path.join(dir, 'bad.json'), '{"a":');
  const bad = loadConfig(Cfg, path.join(dir, 'bad.json'), []);
  assert.ok(E.isLeft(bad) && /valid JSON/.test(bad.left.message));
  const o = applyOverrides({ a: 1 }, ['noequals', 'a.b=2', '=3']);
  assert.ok(E.isLeft(o) && o.left.issues.length === 3);
  fs.rmSync(dir, { recursive: true });
});

test('loadConfig decodes file + overrides over the defaults (core decodeWithDefaults): objects merge, null and arrays replace; cli deepMerge is core\'s', async () => {
  const { deepMerge } = await import('../../src/cli/config.ts');
  const core = await import('../../src/core/codec.ts');
  assert.equal(deepMerge, core.deepMerge);
  const D = t.type({ out: t.string, val: t.union([t.null, t.type({ n: PositiveInt, seed: t.string })]), train: t.type({ steps: PositiveInt, augment: t.array(t.string) }) });
  const defaults = { out: 'runs/x', val: { n: 4, seed: 's' }, train: { steps: 10, augment: ['flip'] } };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
  fs.writeFileSync(path.join(dir, 'c.yaml'), 'train:\n  steps: 20\n');
  const r = loadConfig(D, path.join(dir, 'c.yaml'), ['train.augment=[crop]', 'val.n=2'], defaults);
  assert.ok(E.isRight(r));
  assert.deepEqual(r.right, { out: 'runs/x', val: { n: 2, seed: 's' }, train: { steps: 20, augment: ['crop'] } });
  const n = loadConfig(D, undefined, ['val=null'], defaults);
  assert.ok(E.isRight(n) && n.right.val === null);
  assert.deepEqual(defaults, { out: 'runs/x', val: { n: 4, seed: 's' }, train: { steps: 10, augment: ['flip'] } }); // not mutated
  const bad = loadConfig(D, undefined, ['train.steps=0'], defaults);
  assert.ok(E.isLeft(bad) && bad.left.issues.map((i) => i.path).join() === 'train.steps');
  fs.rmSync(dir, { recursive: true });
});
