// Seeded property/mutation tests of every reader: each mutated, truncated or
// header-edited input either parses or throws a typed GanSegmenterError, in
// under a few seconds. A bounded count here; `node --import tsx tools/fuzz.ts
// --cases N` runs a larger sweep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkCase, fuzzTargets } from '../../tools/fuzz.targets.ts';

const CASES = Number(process.env.FUZZ_CASES ?? 300);
const SEED = 20;

for (const target of fuzzTargets()) {
  test(`fuzz ${target.name}: ${CASES} mutated inputs (seed ${SEED}) parse or throw a typed error, each within the time limit`, () => {
    const seen = { parsed: 0, typed: 0 };
    fc.assert(fc.property(target.input, (bytes) => { seen[checkCase(target, bytes).outcome]++; }), { seed: SEED, numRuns: CASES, endOnFailure: true });
    assert.equal(seen.parsed + seen.typed, CASES);
    assert.ok(seen.typed > 0, `${target.name}: no mutated input was rejected — the mutations are not reaching the parser`);
  });
}
