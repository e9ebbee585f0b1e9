#!/usr/bin/env node
// Execute every notebook in notebooks/ headlessly and check it: `npm run test:notebooks`.
//
// 1. Jupyter comes from Debian (`jupyter-nbconvert jupyter-client python3-ipykernel python3-nbclient`);
//    without it the script fails, naming the packages, unless --allow-missing is given (then it says
//    SKIPPED and exits 0).
// 2. Kernels go into a temp JUPYTER_PATH, nothing is installed for the user: tslab (notebooks/tslab/,
//    its own package so its TypeScript fork's `tsc` bin does not shadow the project's; `npm ci` there
//    when missing) via `tslab install --prefix`, and Deno (the `deno` devDependency) as a kernel.json.
// 3. `npm run build` (tslab notebooks import ../dist/; --no-build skips it).
// 4. Self-check: a deliberately broken notebook per kernel must make nbconvert fail, so a failing cell
//    cannot pass unnoticed.
// 5. Each notebook: committed without outputs; `jupyter nbconvert --to notebook --execute` into the
//    temp dir; every cell ran (exit 0: nbclient stops at the first failing cell; no `error` output); at least one image output (image/png or
//    image/svg+xml). Prints the time per notebook.
//
// Usage: node tools/check-notebooks.mjs [--allow-missing] [--no-build] [--keep] [notebooks/x.ipynb ...]
//   --allow-missing  without Jupyter, say SKIPPED and exit 0 (default: fail)
//   --no-build       use ../dist/ as it is
//   --keep           keep the temp folder with the executed notebooks (printed at the end)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const NOTEBOOKS = join(ROOT, 'notebooks');
const TSLAB_DIR = join(NOTEBOOKS, 'tslab');
const TSLAB = join(TSLAB_DIR, 'node_modules', '.bin', 'tslab');
const DENO = join(ROOT, 'node_modules', '.bin', 'deno');
const PYTHON = '/usr/bin/python3';
const APT = 'jupyter-nbconvert jupyter-client python3-ipykernel python3-nbclient';
const KERNELS = ['tslab', 'deno'];
/** Seconds one cell may run before nbclient stops it. */
const CELL_TIMEOUT = 600;

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const allowMissing = flag('--allow-missing'), noBuild = flag('--no-build'), keep = flag('--keep');
const unknown = args.filter((a) => a.startsWith('--') && !['--allow-missing', '--no-build', '--keep'].includes(a));
if (unknown.length > 0) {
  console.error(`check-notebooks: unknown option ${unknown.join(' ')} (known: --allow-missing --no-build --keep)`);
  process.exit(2);
}

const fail = (message) => {
  console.error(`check-notebooks: ${message}`);
  process.exit(1);
};

const run = (cmd, argv, opts = {}) => spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });

// --- 1. Jupyter -------------------------------------------------------------
// GAN_SEGMENTER_JUPYTER names the `jupyter` command to use (and lets the missing case be tried).
const candidates = process.env.GAN_SEGMENTER_JUPYTER !== undefined ? [process.env.GAN_SEGMENTER_JUPYTER]
  : ['/usr/bin/jupyter', ...(process.env.PATH ?? '').split(':').filter(Boolean).map((d) => join(d, 'jupyter'))];
const jupyter = candidates.find((p) => existsSync(p));
const nbconvertVersion = jupyter ? run(jupyter, ['nbconvert', '--version']) : undefined;
if (!jupyter || nbconvertVersion?.status !== 0 || !existsSync(PYTHON)) {
  const why = !jupyter ? 'no `jupyter` command' : !existsSync(PYTHON) ? `no ${PYTHON}` : `\`jupyter nbconvert --version\` failed: ${(nbconvertVersion?.stderr ?? '').trim().split('\n').pop()}`;
  const msg = `Jupyter is missing (${why}). Install Debian's: apt-get install -y ${APT}`;
  if (allowMissing) {
    console.log(`check-notebooks: SKIPPED, --allow-missing: ${msg}`);
    process.exit(0);
  }
  fail(`${msg}  (or run with --allow-missing to skip)`);
}
console.log(`check-notebooks: ${jupyter}, nbconvert ${nbconvertVersion.stdout.trim()}`);

// --- 2. kernels into a temp JUPYTER_PATH ---------------------------------------
if (!existsSync(TSLAB)) {
  console.log('check-notebooks: installing the tslab kernel (npm ci in notebooks/tslab)');
  const r = run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: TSLAB_DIR, stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(TSLAB)) fail(`npm ci in ${TSLAB_DIR} failed (exit ${r.status})`);
}
if (!existsSync(DENO)) fail(`${DENO} is missing: run npm ci (deno is a devDependency)`);

const tmp = mkdtempSync(join(tmpdir(), 'gan-segmenter-notebooks-'));
const prefix = join(tmp, 'prefix');
const env = {
  ...process.env,
  JUPYTER_PATH: join(prefix, 'share', 'jupyter'),
  JUPYTER_DATA_DIR: join(tmp, 'data'),
  JUPYTER_CONFIG_DIR: join(tmp, 'config'),
  JUPYTER_RUNTIME_DIR: join(tmp, 'runtime'),
  // Deno's kernel prints a colour-coded "unstable" warning; keep logs plain.
  NO_COLOR: '1',
};
const cleanup = () => { if (!keep) rmSync(tmp, { recursive: true, force: true }); };
process.on('exit', cleanup);

const installed = run(TSLAB, ['install', `--python=${PYTHON}`, `--binary=${TSLAB}`, `--prefix=${prefix}`], { env });
if (installed.status !== 0) fail(`tslab install failed:\n${installed.stdout}${installed.stderr}`);
const denoKernel = join(prefix, 'share', 'jupyter', 'kernels', 'deno');
mkdirSync(denoKernel, { recursive: true });
writeFileSync(join(denoKernel, 'kernel.json'), `${JSON.stringify({
  argv: [DENO, 'jupyter', '--kernel', '--conn', '{connection_file}'], display_name: 'Deno', language: 'typescript',
}, null, 1)}\n`);
const specs = run(jupyter, ['kernelspec', 'list', '--json'], { env });
const specNames = specs.status === 0 ? Object.keys(JSON.parse(specs.stdout).kernelspecs ?? {}) : [];
for (const k of KERNELS) if (!specNames.includes(k)) fail(`kernel ${k} is not visible to jupyter after installing it (found: ${specNames.join(', ')})`);

// --- 3. build -------------------------------------------------------------
if (!noBuild) {
  const t0 = performance.now();
  const b = run('npm', ['run', 'build'], { cwd: ROOT });
  if (b.status !== 0) fail(`npm run build failed (the tslab notebooks import ../dist/):\n${b.stdout}${b.stderr}`);
  console.log(`check-notebooks: npm run build ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

// --- helpers --------------------------------------------------------------
const mimeOf = (o) => Object.keys(o.data ?? {});
const isImage = (o) => mimeOf(o).some((m) => m === 'image/png' || m === 'image/svg+xml');
const cellText = (c) => (Array.isArray(c.source) ? c.source.join('') : String(c.source ?? ''));

/** Execute `path` (a notebook) into `outDir`; its kernel runs in the notebook's own folder. */
const execute = (path, outDir, name) => {
  const t0 = performance.now();
  const r = run(jupyter, ['nbconvert', '--to', 'notebook', '--execute', `--ExecutePreprocessor.timeout=${CELL_TIMEOUT}`,
    '--output-dir', outDir, '--output', name, path], { env, cwd: ROOT });
  return { ...r, seconds: (performance.now() - t0) / 1000, out: join(outDir, `${name}.ipynb`) };
};

const notebook = (kernel, cells) => ({
  cells: cells.map((source, i) => ({ cell_type: 'code', execution_count: null, id: `cell-${i}`, metadata: {}, outputs: [], source })),
  metadata: { kernelspec: { name: kernel, display_name: kernel, language: 'typescript' } },
  nbformat: 4, nbformat_minor: 5,
});

// --- 4. self-check: a failing cell fails the run ----------------------------------
const brokenDir = join(tmp, 'broken');
mkdirSync(brokenDir);
for (const kernel of KERNELS) {
  const path = join(brokenDir, `broken-${kernel}.ipynb`);
  writeFileSync(path, JSON.stringify(notebook(kernel, ['const answer: number = 6 * 7;\nanswer', "throw new Error('deliberately broken notebook');"])));
  const r = execute(path, join(brokenDir, 'out'), `broken-${kernel}`);
  const said = `${r.stdout}${r.stderr}`;
  if (r.status === 0) fail(`self-check: the deliberately broken ${kernel} notebook executed with exit 0, so a failing cell would pass unnoticed`);
  if (!/CellExecutionError/.test(said) || !/deliberately broken notebook/.test(said)) {
    fail(`self-check: the broken ${kernel} notebook failed, but not at its broken cell:\n${said.slice(-3000)}`);
  }
  console.log(`check-notebooks: self-check ok: a failing ${kernel} cell fails nbconvert (exit ${r.status}, ${r.seconds.toFixed(1)} s)`);
}

// --- 5. the notebooks -------------------------------------------------------------
const given = args.filter((a) => !a.startsWith('--'));
const paths = given.length > 0 ? given.map((p) => resolve(p))
  : readdirSync(NOTEBOOKS).filter((f) => f.endsWith('.ipynb')).sort().map((f) => join(NOTEBOOKS, f));
if (paths.length === 0) fail(`no notebooks in ${NOTEBOOKS}`);

const outDir = join(tmp, 'executed');
const rows = [];
for (const path of paths) {
  const name = basename(path, '.ipynb');
  const problems = [];
  const nb = JSON.parse(readFileSync(path, 'utf8'));
  const kernel = nb.metadata?.kernelspec?.name;
  if (!KERNELS.includes(kernel)) problems.push(`kernelspec.name is ${JSON.stringify(kernel)}, expected one of ${KERNELS.join(', ')}`);
  const code = (nb.cells ?? []).filter((c) => c.cell_type === 'code');
  const stored = code.filter((c) => (c.outputs ?? []).length > 0 || c.execution_count != null).length;
  if (stored > 0) problems.push(`${stored} code cell(s) committed with outputs or execution counts: clear them`);
  let seconds = 0, images = 0;
  if (problems.length === 0) {
    console.log(`check-notebooks: executing ${name}.ipynb (${kernel}) …`);
    const r = execute(path, outDir, name);
    seconds = r.seconds;
    if (r.status !== 0) {
      problems.push(`nbconvert exit ${r.status}:\n${`${r.stdout}${r.stderr}`.split('\n').slice(-40).join('\n')}`);
    } else {
      const done = JSON.parse(readFileSync(r.out, 'utf8'));
      const cells = (done.cells ?? []).filter((c) => c.cell_type === 'code');
      cells.forEach((c, i) => {
        for (const o of c.outputs ?? []) {
          if (o.output_type === 'error') problems.push(`code cell ${i + 1} raised ${o.ename}: ${o.evalue}\n${cellText(c).slice(0, 300)}`);
        }
      });
      images = cells.flatMap((c) => c.outputs ?? []).filter(isImage).length;
      if (images === 0) problems.push('no image output (image/png or image/svg+xml)');
    }
  }
  rows.push({ name, kernel, seconds, images, problems });
  console.log(`check-notebooks: ${name}.ipynb ${problems.length === 0 ? 'ok' : 'FAILED'} in ${seconds.toFixed(1)} s, ${images} image output(s)`);
  for (const p of problems) console.log(`  - ${p}`);
}

console.log('\n| notebook | kernel | seconds | images | result |\n|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.name}.ipynb | ${r.kernel} | ${r.seconds.toFixed(1)} | ${r.images} | ${r.problems.length === 0 ? 'ok' : 'FAILED'} |`);
const failed = rows.filter((r) => r.problems.length > 0);
const total = rows.reduce((s, r) => s + r.seconds, 0);
console.log(`\ncheck-notebooks: ${rows.length - failed.length}/${rows.length} notebooks ok, ${total.toFixed(1)} s executing${keep ? `; executed copies in ${outDir}` : ''}`);
process.exit(failed.length > 0 ? 1 : 0);
