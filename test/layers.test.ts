// The layering of src/ (docs/architecture.md, "Layers"), checked by tools/check-layers.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const checkLayers = (...args: string[]): { status: number | null; out: string } => {
  const r = spawnSync(process.execPath, ['tools/check-layers.mjs', ...args], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

test('src/ imports point one way: core ← nn ← models ← train ← methods ← pipeline ← cli; data, metrics, io on core', () => {
  const r = checkLayers('--root', 'src');
  assert.equal(r.status, 0, `layer violations:\n${r.out}`);
});

test('check-layers reports imports to the right, across methods, and from data/metrics/io; not comments or allowed ones', () => {
  const root = mkdtempSync(join(tmpdir(), 'check-layers-'));
  const files: Record<string, string> = {
    'index.ts': `export * from './cli/main.ts';\n`,
    'core/rng.ts': `// import { x } from '../cli/main.ts';\n/** import { y } from '../nn/conv.ts' */\nexport const r = 1;\n`,
    'nn/conv.ts': `import { r } from '../core/rng.ts';\nimport { w } from '../io/weights.ts';\nexport const c = r + w;\n`,
    'models/unet.ts': `import { c } from '../nn/conv.ts';\nimport type { T } from '../train/loop.ts';\nexport const u = c;\n`,
    'train/loop.ts': `export type T = number;\nexport const l = () => import('../pipeline/run.ts');\n`,
    'methods/spec.ts': `export type S = 1;\n`,
    'methods/table.ts': `export * from './a/index.ts';\n`,
    'methods/a/index.ts': `import type { S } from '../spec.ts';\nexport { b } from '../b/index.ts';\n`,
    'methods/b/index.ts': `import { a } from '../table.ts';\nexport const b = a;\n`,
    'pipeline/run.ts': `import { u } from '../models/unet.ts';\nimport { k } from '../backend/init.ts';\nexport const p = u + k;\n`,
    'cli/main.ts': `import { p } from '../pipeline/run.ts';\nexport const m = p;\n`,
    'backend/init.ts': `import { r } from '../core/rng.ts';\nexport const k = r;\n`,
    'data/folder.ts': `import { w } from '../io/weights.ts';\nexport const d = w;\n`,
    'metrics/iou.ts': `import type { d } from '../data/folder.ts';\nexport const i = 1;\n`,
    'io/weights.ts': `import { r } from '../core/rng.ts';\nexport const w = r;\n`,
  };
  try {
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), text);
    }
    const r = checkLayers('--root', root);
    assert.equal(r.status, 1, r.out);
    const found = r.out.split('\n').filter((l) => l.includes(': imports ')).map((l) => l.replace(/^.*check-layers-[^/]*\//, ''));
    assert.deepEqual(found.map((l) => l.split(': imports ')[0]), [
      'methods/a/index.ts:2', // another method
      'methods/b/index.ts:1', // the table
      'metrics/iou.ts:1', //     metrics → data
      'models/unet.ts:2', //     models → train (type only)
      'train/loop.ts:2', //      train → pipeline (dynamic import)
    ], r.out);
    assert.match(r.out, /models\/unet\.ts:2: imports '\.\.\/train\/loop\.ts' \(type only\): models may not import train/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
