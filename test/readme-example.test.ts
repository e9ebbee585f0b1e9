// The README's "Using the library" examples and every ```ts block of the guides
// (docs/guides/**/*.md) type-check against the public surface (`src/index.ts`, and the
// subpath exports of package.json), with the project's compiler options. A copy with an
// import that does not exist must fail, so the check cannot pass by checking nothing.
// A block that is not meant to compile is fenced as something other than ```ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..');
const TMP = join(ROOT, 'test', '.tmp');

/** Every ```ts block under `## Using the library` in README.md. */
const readmeExamples = (): string[] => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Using the library');
  assert.ok(start >= 0, 'README.md has no "## Using the library" section');
  const next = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, next < 0 ? undefined : next);
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)\n```/g)].map((m) => m[1] as string);
  assert.ok(blocks.length > 0, 'README.md "## Using the library" has no ```ts block');
  return blocks;
};

/** Every markdown file under `dir`, sorted. */
const markdownFiles = (dir: string): string[] =>
  readdirSync(dir).sort().flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? markdownFiles(p) : p.endsWith('.md') ? [p] : [];
  });

/** Every ```ts block of the guides, with the file it comes from. */
const guideExamples = (): { where: string; block: string }[] =>
  markdownFiles(join(ROOT, 'docs', 'guides')).flatMap((f) =>
    [...readFileSync(f, 'utf8').matchAll(/^```ts\n([\s\S]*?)\n```$/gm)].map((m, i) => ({ where: `${relative(ROOT, f)} block ${i + 1}`, block: m[1] as string })));

/** `gan-segmenter` and `gan-segmenter/<sub>` → the sources their package.json exports build from, relative to `dir`. */
const toSources = (code: string, dir: string): string => {
  const exportsMap = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { import: string }> }).exports;
  return code.replace(/(from\s+|import\s*\(\s*)(['"])gan-segmenter(\/[^'"]*)?\2/g, (whole, lead: string, q: string, sub: string | undefined) => {
    const target = exportsMap[`.${sub ?? ''}`];
    if (typeof target !== 'object') return whole; // not exported: left as is, so it fails to resolve
    const src = join(ROOT, target.import.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
    return `${lead}${q}${relative(dir, src).split('\\').join('/')}${q}`;
  });
};

/** Type-check `files` (path → text, served from memory over the real file system) with tsconfig.json's options. */
const typeCheck = (files: ReadonlyMap<string, string>): Map<string, readonly ts.Diagnostic[]> => {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  });
  assert.ok(parsed, 'tsconfig.json could not be read');
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: true };
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => files.has(resolve(f)) || fileExists.call(host, f);
  host.readFile = (f) => files.get(resolve(f)) ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, ...rest) => {
    const text = files.get(resolve(f));
    return text === undefined ? getSourceFile.call(host, f, lang, ...rest) : ts.createSourceFile(f, text, lang, true);
  };
  const program = ts.createProgram({ rootNames: [...files.keys()], options, host });
  return new Map([...files.keys()].map((f) => [f, ts.getPreEmitDiagnostics(program, program.getSourceFile(f))]));
};

const format = (ds: readonly ts.Diagnostic[]): string =>
  ts.formatDiagnostics(ds, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' });

test('README "Using the library" and docs/guides/**/*.md ts blocks type-check against src/index.ts; a broken import does not', () => {
  mkdirSync(TMP, { recursive: true });
  const index = relative(TMP, join(ROOT, 'src', 'index.ts')).split('\\').join('/');
  const guides = guideExamples();
  assert.ok(guides.length > 0, 'docs/guides has no ```ts block');
  const all = [...readmeExamples().map((block, i) => ({ where: `README.md "Using the library" block ${i + 1}`, block })), ...guides];
  const examples = all.map(({ where, block }, i) => ({ where, block, file: join(TMP, `readme-example-${process.pid}-${i}.ts`), code: toSources(block, TMP) }));
  const broken = join(TMP, `readme-example-broken-${process.pid}.ts`); // in memory only
  try {
    for (const e of examples) {
      assert.notEqual(e.code, e.block, `${e.where} imports nothing from gan-segmenter`);
      writeFileSync(e.file, e.code);
    }
    const first = examples[0] as { code: string };
    const diags = typeCheck(new Map([
      ...examples.map((e) => [e.file, e.code] as const),
      [broken, `import { notAnExportOfGanSegmenter } from '${index}';\nvoid notAnExportOfGanSegmenter;\n${first.code}`],
    ]));
    const failures = examples.map((e) => ({ e, own: diags.get(e.file) ?? [] })).filter(({ own }) => own.length > 0);
    assert.equal(failures.length, 0, failures.map(({ e, own }) => `${e.where} does not type-check:\n${format(own)}`).join('\n'));
    const bad = diags.get(broken) ?? [];
    assert.ok(bad.some((d) => d.code === 2305 || d.code === 2724), `a broken import was not reported:\n${format(bad)}`);
  } finally {
    for (const e of examples) rmSync(e.file, { force: true });
  }
});
