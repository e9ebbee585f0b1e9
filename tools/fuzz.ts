/**
 * The larger fuzz sweep of every reader (see `fuzz.targets.ts` for the inputs and the property).
 *
 * Usage: `node --import tsx tools/fuzz.ts [--cases N] [--seed S] [--only name,name]`
 * Prints one line per parser: cases, parsed, typed errors, failures (untyped
 * errors or hangs), slowest case; exits 1 when any parser failed.
 *
 * @example
 * ```sh
 * node --import tsx tools/fuzz.ts --cases 20000 --seed 1
 * ```
 *
 * @module
 */
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { checkCase, fuzzTargets } from './fuzz.targets.ts';

const { values } = parseArgs({ options: { cases: { type: 'string', default: '2000' }, seed: { type: 'string', default: '1' }, only: { type: 'string' } } });
const cases = Number(values.cases), seed = Number(values.seed);
const only = values.only?.split(',');
let failed = 0;
console.log(`| parser | inputs tried | parsed | typed errors | crashes/hangs | slowest case (ms) | seconds |`);
console.log(`|---|---:|---:|---:|---:|---:|---:|`);
for (const t of fuzzTargets().filter((x) => !only || only.includes(x.name))) {
  const seen = { parsed: 0, typed: 0 };
  let slowest = 0;
  const t0 = performance.now();
  const r = fc.check(fc.property(t.input, (b) => { const c = checkCase(t, b); seen[c.outcome]++; slowest = Math.max(slowest, c.ms); }), { seed, numRuns: cases, endOnFailure: true });
  const bad = r.failed ? 1 : 0;
  failed += bad;
  console.log(`| ${t.name} | ${seen.parsed + seen.typed + bad} | ${seen.parsed} | ${seen.typed} | ${bad} | ${slowest.toFixed(1)} | ${((performance.now() - t0) / 1000).toFixed(1)} |`);
  if (r.failed) console.log(`  ${t.name} FAILED after ${r.numRuns} runs: ${String((r.errorInstance as Error | undefined)?.message ?? r.errorInstance)}`);
}
process.exit(failed > 0 ? 1 : 0);
