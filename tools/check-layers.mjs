// Checks that imports in src/ point one way (docs/architecture.md, "Layers"):
//
//   core ← nn ← models ← train ← methods ← pipeline ← cli
//   data, metrics, io depend on core only (data may use io); backend on core only.
//
// A layer may import itself, any layer to its left in the chain, backend, and (right
// of core) data, metrics and io. A method folder (src/methods/<name>/) never imports
// another method's folder, nor the method table or barrel. `src/index.ts`, the public
// surface, may import anything.
//
// Every `import … from '…'`, `export … from '…'`, `import('…')` (also in types) and
// `require('…')` is read with the TypeScript parser, so imports in comments and
// strings do not count; type-only imports count like the others (they are
// dependencies of the source too) and are marked as such.
//
// Usage: node tools/check-layers.mjs [--root <src dir>] [--quiet]
// Exit 0: no violation; 1: violations (one line each, `file:line: …`); 2: usage error.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const CHAIN = ['core', 'nn', 'models', 'train', 'methods', 'pipeline', 'cli'];
const SIDE = ['data', 'metrics', 'io'];
const ROOT_FILE = 'index.ts';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const root = resolve(opt('--root') ?? 'src');
const quiet = args.includes('--quiet');
if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
  console.error(`check-layers: no folder ${root}`);
  process.exit(2);
}

const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return walk(p);
    return /\.(m|c)?tsx?$/.test(name) && !name.endsWith('.d.ts') ? [p] : [];
  });

/** `{ layer, method }` of a path under root: layer = first folder ('' for the root files), method = folder under methods/. */
const place = (file) => {
  const parts = relative(root, file).split(sep);
  if (parts[0] === '..') return { layer: 'outside', method: undefined, file: parts.join('/') };
  const layer = parts.length === 1 ? '' : parts[0];
  const method = layer === 'methods' && parts.length > 2 ? parts[1] : undefined;
  return { layer, method, file: parts.slice(1).join('/') };
};

/** Why `from` may not import `to`, or undefined when it may. */
const rule = (from, to) => {
  if (from.layer === '' && from.file === '') return undefined;
  if (to.layer === 'outside') return undefined; // package.json, native/ … : not a layer
  if (from.layer === to.layer) {
    if (from.layer !== 'methods' || from.method === undefined) return undefined;
    if (to.method !== undefined && to.method !== from.method) return `a method never imports another method (${from.method} → ${to.method})`;
    if (to.method === undefined && (to.file === 'table.ts' || to.file === 'index.ts')) return `a method folder imports only the seam (spec.ts) from methods/, not ${to.file}`;
    return undefined;
  }
  if (to.layer === '') return `only the public surface may import src/${to.file || ROOT_FILE}`;
  if (from.layer === 'backend') return to.layer === 'core' ? undefined : 'backend depends on core only';
  if (to.layer === 'backend') return from.layer === 'core' ? 'core depends on nothing (backend builds on core)' : undefined;
  if (SIDE.includes(from.layer)) {
    if (to.layer === 'core' || (from.layer === 'data' && to.layer === 'io')) return undefined;
    return `${from.layer} depends on core only${from.layer === 'data' ? ' (and io)' : ''}`;
  }
  const fi = CHAIN.indexOf(from.layer);
  if (fi < 0) return `src/${from.layer}/ is in no layer (add it to tools/check-layers.mjs and docs/architecture.md)`;
  if (SIDE.includes(to.layer)) return fi === 0 ? 'core depends on nothing' : undefined;
  const ti = CHAIN.indexOf(to.layer);
  if (ti < 0) return `src/${to.layer}/ is in no layer`;
  return ti < fi ? undefined : `${from.layer} may not import ${to.layer} (it is to its right: ${CHAIN.join(' ← ')})`;
};

/** Every module specifier of a source file: { spec, line, typeOnly }. */
const importsOf = (file) => {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out = [];
  const add = (lit, typeOnly) => {
    if (lit && ts.isStringLiteralLike(lit)) out.push({ spec: lit.text, line: sf.getLineAndCharacterOfPosition(lit.getStart(sf)).line + 1, typeOnly });
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node)) {
      const c = node.importClause;
      const allTypes = c !== undefined && (c.isTypeOnly || (!c.name && c.namedBindings !== undefined && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, Boolean(allTypes));
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      const allTypes = node.isTypeOnly || (node.exportClause !== undefined && ts.isNamedExports(node.exportClause) && node.exportClause.elements.length > 0 && node.exportClause.elements.every((e) => e.isTypeOnly));
      add(node.moduleSpecifier, Boolean(allTypes));
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true);
    } else if (ts.isCallExpression(node) && node.arguments.length > 0 && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
      add(node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
};

const files = walk(root).sort();
const violations = [];
for (const file of files) {
  const from = place(file);
  for (const { spec, line, typeOnly } of importsOf(file)) {
    if (!spec.startsWith('.')) continue; // packages and node: builtins
    const to = place(resolve(dirname(file), spec));
    const why = rule(from, to);
    if (why) violations.push(`${relative(process.cwd(), file).split(sep).join('/')}:${line}: imports '${spec}'${typeOnly ? ' (type only)' : ''}: ${why}`);
  }
}
for (const v of violations) console.log(v);
if (!quiet || violations.length > 0) console.log(`check-layers: ${files.length} files, ${violations.length} violation${violations.length === 1 ? '' : 's'}`);
process.exit(violations.length > 0 ? 1 : 0);
