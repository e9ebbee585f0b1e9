/**
 * Killed-runs soak (issue 20): for each command — `train-gan`, `train-segmenter`,
 * `run method=latent-direction` and disk-mode synthetic data generation (`generate`) — at tiny
 * settings on the cpu backend:
 *
 * 1. run it once uninterrupted (the reference);
 * 2. run it again in a fresh folder, SIGKILLing it at seeded random moments (uniform over the
 *    reference's wall time, measured from the spawn) `--kills N` times, relaunching after each kill
 *    (`--resume` / `resume=true` / the same `generate` command), then letting it finish;
 * 3. after every kill, scan the folder: every file under a final name must be complete and valid
 *    (checkpoints verify size + crc32c, safetensors/PNG/JSON parse, JSONL lines parse, TensorBoard
 *    records are whole); temp names (`.tmp-…`, `*.tmp`) are allowed and counted;
 * 4. compare the final weights / files (sha256) with the reference.
 *
 * Prints a Markdown table; exits 1 when any command's final files differ, a partial file was
 * seen under a final name, or a launch failed other than by our SIGKILL.
 *
 * Usage: `node --import tsx tools/soak.ts [--kills 20] [--seed 1] [--only train-gan,generate] [--keep] [--dir /tmp/soak]`
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { decode as decodePng } from 'fast-png';
import { Rng } from '../src/core/rng.ts';
import { readSafetensors } from '../src/io/safetensors-file.ts';
import { listCheckpoints, loadCheckpoint, loadLatestCheckpoint } from '../src/train/checkpoint.ts';
import { LOCK_FILE } from '../src/train/lock.ts';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
    dir: { type: 'string' },
  },
});
const KILLS = Number(values.kills);
const SEED = values.seed!;
const root = values.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'soak-'));
fs.mkdirSync(root, { recursive: true });
const cli = path.resolve(import.meta.dirname, '..', 'src', 'cli', 'main.ts');

// ---------------------------------------------------------------------------
// The commands, at tiny settings
// ---------------------------------------------------------------------------

interface SoakCommand {
  readonly name: string;
  /** Arguments of a launch in `out`: the first one, or a relaunch after a kill. */
  readonly args: (out: string) => string[];
  /** Files to compare (relative to out) → sha256, computed on a finished folder. */
  readonly finals: (out: string) => Map<string, string>;
}

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const hasCheckpoint = (dir: string): boolean => loadLatestCheckpoint(path.join(dir, 'checkpoints')) !== undefined;

/** Every checkpoint's tensors.bin, and its manifest with the run's own folder written `<out>` (the config and best-checkpoint paths name it). */
const checkpointHashes = (out: string, sub: string, into: Map<string, string>): void => {
  for (const prefix of ['step-', 'best-']) {
    for (const c of listCheckpoints(path.join(out, sub), prefix)) {
      const rel = path.relative(out, c.dir);
      into.set(`${rel}/tensors.bin`, sha(fs.readFileSync(path.join(c.dir, 'tensors.bin'))));
      const manifest = fs.readFileSync(path.join(c.dir, 'manifest.json'), 'utf8');
      into.set(`${rel}/manifest.json (out folder as <out>)`, sha(manifest.split(JSON.stringify(out).slice(1, -1)).join('<out>')));
    }
  }
};
const fileHashes = (out: string, rels: readonly string[], into: Map<string, string>): void => {
  for (const r of rels) into.set(r, fs.existsSync(path.join(out, r)) ? sha(fs.readFileSync(path.join(out, r))) : 'MISSING');
};

const TINY_GAN = ['backend=cpu', 'model.resolution=16', 'model.width=4', 'model.dWidth=4', 'model.latentDim=8', 'data.count=16',
  'train.batchSize=4', 'train.steps=60', 'train.checkpointEvery=4', 'train.sampleEvery=20', 'train.numSamples=4', 'train.logEvery=2', 'train.emaKimg=0.01', 'train.augment=[translation]'];
const TINY_SEG = ['backend=cpu', 'resolution=16', 'model.width=4', 'model.depth=2', 'data.count=16', 'validation.count=4',
  'train.steps=40', 'train.batchSize=4', 'train.checkpointEvery=4', 'train.validateEvery=8', 'train.logEvery=2'];
const TINY_RUN = ['resolution=16', 'gan.trainImages=16', 'gan.steps=200', 'gan.batchSize=4', 'gan.width=4',
  'direction.iterations=4', 'direction.batchSize=4', 'direction.filters.sizeRange=null', 'direction.filters.histogramBins=0',
  'data.count=8', 'unet.width=4', 'unet.depth=2', 'unet.steps=100', 'unet.batchSize=4', 'eval.count=4', 'resume=true'];

const commands = (runRef: () => string): SoakCommand[] => [
  {
    name: 'train-gan',
    args: (out) => (hasCheckpoint(out) ? ['train-gan', '--resume', out] : ['train-gan', `out=${out}`, ...TINY_GAN]),
    finals: (out) => {
      const m = new Map<string, string>();
      fileHashes(out, ['generator.safetensors', 'samples/step-00000020.png', 'samples/step-00000040.png', 'samples/step-00000060.png'], m);
      checkpointHashes(out, 'checkpoints', m);
      return m;
    },
  },
  {
    name: 'train-segmenter',
    args: (out) => (hasCheckpoint(out) ? ['train-segmenter', '--resume', out] : ['train-segmenter', `out=${out}`, ...TINY_SEG]),
    finals: (out) => {
      const m = new Map<string, string>();
      fileHashes(out, ['segmenter.safetensors'], m);
      checkpointHashes(out, 'checkpoints', m);
      return m;
    },
  },
  {
    name: 'run latent-direction',
    args: (out) => ['run', `out=${out}`, 'method=latent-direction', ...TINY_RUN],
    finals: (out) => {
      const m = new Map<string, string>();
      fileHashes(out, ['direction.safetensors', 'direction.png', 'synthetic.png', 'held-out.png'], m);
      checkpointHashes(out, 'gan/checkpoints', m);
      checkpointHashes(out, 'unet/checkpoints', m);
      m.set('report.json (metrics)', sha(JSON.stringify((JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { metrics?: unknown }).metrics ?? null)));
      return m;
    },
  },
  {
    name: 'generate (disk)',
    args: (out) => {
      const ref = runRef();
      return ['generate', '--generator', path.join(ref, 'generator.safetensors'), '--direction', path.join(ref, 'direction.safetensors'),
        '--out', out, '--count', '96', '--shard-size', '4', '--seed', '7', 'filters.sizeRange=null', 'filters.histogramBins=0'];
    },
    finals: (out) => {
      const m = new Map<string, string>();
      const walk = (d: string): string[] => fs.readdirSync(d).sort().flatMap((n) => {
        const p = path.join(d, n);
        if (isTemp(path.relative(out, p))) return []; // a killed writer's temp file: not a result
        return fs.statSync(p).isDirectory() ? walk(p) : n === LOCK_FILE ? [] : [path.relative(out, p)];
      });
      fileHashes(out, walk(out).filter((r) => r !== 'manifest.json'), m);
      // The manifest's source.filterStats counts the draws of the last process only (a resumed run
      // restarts the count), so it is compared without them; see docs/reliability.md.
      const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { source?: { filterStats?: unknown } };
      if (manifest.source) delete manifest.source.filterStats;
      m.set('manifest.json (without source.filterStats)', sha(JSON.stringify(manifest)));
      return m;
    },
  },
];

// ---------------------------------------------------------------------------
// Partial-file scan
// ---------------------------------------------------------------------------

const isTemp = (rel: string): boolean => rel.split(path.sep).some((p) => p.startsWith('.tmp') || p.includes('.tmp-') || p.endsWith('.tmp') || p.startsWith('.probe-'));

/** Records of a TensorBoard event file: 8-byte length, 4-byte crc, data, 4-byte crc; false when the tail is torn. */
const tfEventsWhole = (b: Buffer): boolean => {
  let o = 0;
  while (o < b.length) {
    if (o + 12 > b.length) return false;
    const n = Number(b.readBigUInt64LE(o));
    o += 12 + n + 4;
  }
  return o === b.length;
};

/** Problems of files under final names in `out` (empty = none), and the number of temp entries. */
const scan = (out: string): { problems: string[]; temps: number; files: number } => {
  const problems: string[] = [];
  let temps = 0, files = 0;
  const visit = (dir: string): void => {
    for (const n of fs.readdirSync(dir)) {
      const p = path.join(dir, n), rel = path.relative(out, p);
      if (isTemp(rel)) { temps++; continue; }
      const st = fs.statSync(p);
      if (st.isDirectory()) {
        if (/^(step|best)-\d+$/.test(n)) {
          files++;
          try { loadCheckpoint(p); } catch (e) { problems.push(`${rel}: ${(e as Error).message}`); }
          continue;
        }
        visit(p);
        continue;
      }
      if (n === LOCK_FILE) continue;
      files++;
      try {
        const b = fs.readFileSync(p);
        if (n.endsWith('.safetensors')) readSafetensors(p);
        else if (n.endsWith('.png')) decodePng(b);
        else if (n.endsWith('.json')) JSON.parse(b.toString('utf8'));
        else if (n.endsWith('.jsonl')) b.toString('utf8').split('\n').filter((l) => l !== '').forEach((l) => JSON.parse(l));
        else if (n.startsWith('events.out.tfevents')) { if (!tfEventsWhole(b)) throw new Error('torn record at the end'); }
        else if (n.endsWith('.md')) { /* text */ }
        else problems.push(`${rel}: unknown file kind`);
      } catch (e) {
        problems.push(`${rel}: ${(e as Error).message}`);
      }
    }
  };
  if (fs.existsSync(out)) visit(out);
  return { problems, temps, files };
};

// ---------------------------------------------------------------------------
// Launching and killing
// ---------------------------------------------------------------------------

interface Launch { readonly code: number | null; readonly signal: string | null; readonly ms: number; readonly firstOutputMs: number; readonly stderr: string }

/**
 * Run the CLI; with `killAfterMs`, SIGKILL it that long after its first line on stderr (the command's
 * first progress line, printed once Node, tsx and tfjs are loaded), so kills land in the work, not in
 * the interpreter's start-up.
 */
const launch = (args: readonly string[], killAfterMs?: number): Promise<Launch> =>
  new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    let firstOutputMs = -1;
    let timer: ReturnType<typeof setTimeout> | undefined;
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (firstOutputMs < 0) {
        firstOutputMs = performance.now() - t0;
        if (killAfterMs !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, ms: performance.now() - t0, firstOutputMs, stderr });
    });
  });

interface Row {
  command: string; refSeconds: number; kills: number; launches: number; staleLocks: number; scans: number; partial: number;
  temps: number; compared: number; identical: boolean; failures: string[];
  /** Killed-and-resumed runs that reached the end and were compared (a run that finished before its next kill starts over). */
  finishes: number;
}

const soakOne = async (c: SoakCommand, refOut: string): Promise<Row> => {
  const row: Row = { command: c.name, refSeconds: 0, kills: 0, launches: 0, staleLocks: 0, scans: 0, partial: 0, temps: 0, compared: 0, identical: false, failures: [], finishes: 0 };
  if (!fs.existsSync(path.join(refOut, '.soak-done'))) {
    fs.rmSync(refOut, { recursive: true, force: true });
    const r = await launch(c.args(refOut));
    if (r.code !== 0) { row.failures.push(`reference run exited ${r.code}: ${r.stderr.slice(-800)}`); return row; }
    fs.writeFileSync(path.join(refOut, '.soak-done'), JSON.stringify({ ms: r.ms, firstOutputMs: r.firstOutputMs }));
  }
  const ref = JSON.parse(fs.readFileSync(path.join(refOut, '.soak-done'), 'utf8')) as { ms: number; firstOutputMs: number };
  row.refSeconds = ref.ms / 1000;
  const refMs = ref.ms - Math.max(0, ref.firstOutputMs); // the work window after the first output line
  const out = `${refOut}-killed`;
  fs.rmSync(out, { recursive: true, force: true });
  const rng = new Rng(`${SEED}/${c.name}`);
  for (;;) {
    const kill = row.kills < KILLS ? rng.uniform(0, 1) * refMs : undefined;
    const r = await launch(c.args(out), kill);
    row.launches++;
    if (/took over the stale lock/.test(r.stderr)) row.staleLocks++;
    if (r.signal === 'SIGKILL') {
      row.kills++;
      const s = scan(out);
      row.scans++;
      row.partial += s.problems.length;
      row.temps = Math.max(row.temps, s.temps);
      for (const p of s.problems) row.failures.push(`after kill ${row.kills} (${Math.round(kill!)} ms): ${p}`);
      process.stderr.write(`  ${c.name}: kill ${row.kills}/${KILLS} at +${Math.round(kill!)} ms, ${s.files} final files valid${s.problems.length ? `, ${s.problems.length} PARTIAL` : ''}, ${s.temps} temp\n`);
      continue;
    }
    if (r.code !== 0) { row.failures.push(`launch ${row.launches} exited ${r.code}${r.signal ? ` (${r.signal})` : ''}: ${r.stderr.slice(-800)}`); return row; }
    if (row.kills >= KILLS) break;
    // finished before the kill landed: start over in a fresh folder so every kill hits unfinished work
    process.stderr.write(`  ${c.name}: finished before the kill at ${Math.round(kill!)} ms; comparing, then going on in a fresh folder\n`);
    const mid = compare(c, refOut, out);
    row.finishes++;
    if (!mid.identical) { row.failures.push(`a finished intermediate run differs: ${mid.diffs.join(', ')}`); return row; }
    fs.rmSync(out, { recursive: true, force: true });
  }
  const s = scan(out);
  row.partial += s.problems.length;
  for (const p of s.problems) row.failures.push(`final folder: ${p}`);
  const cmp = compare(c, refOut, out);
  row.finishes++;
  row.compared = cmp.compared;
  row.identical = cmp.identical;
  if (!cmp.identical) row.failures.push(`differs from the uninterrupted run: ${cmp.diffs.join(', ')}`);
  if (fs.existsSync(path.join(out, LOCK_FILE))) row.failures.push('the lock file is left after a clean end');
  if (!values.keep) fs.rmSync(out, { recursive: true, force: true });
  return row;
};

const compare = (c: SoakCommand, refOut: string, out: string): { identical: boolean; compared: number; diffs: string[] } => {
  const a = c.finals(refOut), b = c.finals(out);
  const keys = [...new Set([...a.keys(), ...b.keys()])].filter((k) => !k.endsWith('.soak-done')).sort();
  const diffs = keys.filter((k) => a.get(k) !== b.get(k) || a.get(k) === 'MISSING');
  return { identical: diffs.length === 0 && keys.length > 0, compared: keys.length, diffs };
};

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

const only = values.only?.split(',');
const refOf = (name: string): string => path.join(root, name.replace(/[^a-z-]+/g, '-').replace(/-+$/, ''));
let runRefReady = false;
const runRef = (): string => refOf('run latent-direction');
const all = commands(runRef);
const rows: Row[] = [];
const t0 = performance.now();
console.error(`soak: ${KILLS} kills per command, seed ${SEED}, folders under ${root}`);
for (const c of all) {
  if (only && !only.some((o) => c.name.startsWith(o))) continue;
  if (c.name.startsWith('generate') && !runRefReady && !fs.existsSync(path.join(runRef(), '.soak-done'))) {
    // generate needs the run's generator and direction: make the run's reference first
    const r = await launch(all.find((x) => x.name.startsWith('run'))!.args(runRef()));
    if (r.code !== 0) { console.error(`soak: the run reference (for generate's inputs) failed: ${r.stderr.slice(-800)}`); process.exit(1); }
    fs.writeFileSync(path.join(runRef(), '.soak-done'), JSON.stringify({ ms: r.ms, firstOutputMs: r.firstOutputMs }));
  }
  console.error(`soak: ${c.name} …`);
  const row = await soakOne(c, refOf(c.name));
  if (c.name.startsWith('run')) runRefReady = true;
  rows.push(row);
  for (const f of row.failures.slice(0, 5)) console.error(`  FAIL ${c.name}: ${f}`);
}
console.log(`\nKilled-runs soak: seed ${SEED}, ${KILLS} SIGKILLs per command at uniform random moments over the uninterrupted run's work (from its first output line to its end) (${((performance.now() - t0) / 1000).toFixed(0)} s in all).\n`);
console.log('| command | uninterrupted (s) | SIGKILLs | launches | stale locks taken over | folder scans | partial files under final names | max temp entries seen | killed runs finished and compared | files compared each | final files bit-identical |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
for (const r of rows) {
  console.log(`| ${r.command} | ${r.refSeconds.toFixed(1)} | ${r.kills} | ${r.launches} | ${r.staleLocks} | ${r.scans} | ${r.partial} | ${r.temps} | ${r.finishes} | ${r.compared} | ${r.identical ? 'yes' : 'NO'} |`);
}
if (!values.keep && values.dir === undefined) fs.rmSync(root, { recursive: true, force: true });
process.exit(rows.every((r) => r.identical && r.partial === 0 && r.failures.length === 0) ? 0 : 1);
