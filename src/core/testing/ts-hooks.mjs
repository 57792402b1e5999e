// Test-only module hooks: lets a worker thread started from vitest (which runs the .ts sources) load the
// TypeScript worker entry. Production runs the compiled dist/ .js files and never loads this.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export async function resolve(spec, ctx, next) {
  if (
    spec.endsWith('.js') &&
    ctx.parentURL?.endsWith('.ts') &&
    (spec.startsWith('.') || spec.startsWith('/'))
  ) {
    const u = new URL(spec, ctx.parentURL);
    if (!existsSync(fileURLToPath(u))) return next(`${spec.slice(0, -3)}.ts`, ctx);
  }
  return next(spec, ctx);
}

export async function load(url, ctx, next) {
  if (url.startsWith('file:') && url.endsWith('.ts')) {
    const file = fileURLToPath(url);
    const out = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
      fileName: file,
    });
    return { format: 'module', source: out.outputText, shortCircuit: true };
  }
  return next(url, ctx);
}
