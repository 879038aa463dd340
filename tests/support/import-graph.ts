/**
 * The import graph of `src/` as the TypeScript compiler's own pre-processor reads it (every
 * `import`/`export … from`/`require`, type-only ones included), for the structure tests.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Repo-relative paths of every `.ts` file under `dir`. */
export function sourceFiles(root: string, dir = 'src'): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(root, rel))) {
      const child = path.join(rel, name);
      if (statSync(path.join(root, child)).isDirectory()) walk(child);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(child);
    }
  };
  walk(dir);
  return out.sort();
}

/** What one file imports: repo-relative paths of project files, and bare package names. */
export interface FileImports {
  files: string[];
  packages: string[];
}

function resolveLocal(root: string, from: string, spec: string): string | undefined {
  const base = path.join(path.dirname(from), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (existsSync(path.join(root, candidate)) && candidate.endsWith('.ts')) return candidate;
  }
  return undefined;
}

/** The imports of every file in `files`. */
export function importGraph(root: string, files: string[]): Map<string, FileImports> {
  const graph = new Map<string, FileImports>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(path.join(root, file), 'utf8'), true, true);
    const imports: FileImports = { files: [], packages: [] };
    for (const ref of info.importedFiles) {
      const spec = ref.fileName;
      if (spec.startsWith('.')) {
        const target = resolveLocal(root, file, spec);
        if (target) imports.files.push(target);
      } else {
        imports.packages.push(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
    graph.set(file, imports);
  }
  return graph;
}

/** Every cycle found by a depth-first search, each as the list of files around it. */
export function importCycles(graph: Map<string, FileImports>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file)?.files ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}
