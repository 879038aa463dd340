/**
 * Where the project keeps its installed tools and its run data.
 * Tools (Temporal CLI, Python venv, local model) live in the project; run data in the working directory.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root: the nearest ancestor of this file holding the project's package.json. */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'scripts', 'setup.sh'))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/**
 * Folder holding tools installed by `npm run setup`.
 * @default `<project>/.tools`, overridden by `STEP_HRL_TOOLS_DIR`.
 */
export function toolsDir(): string {
  return process.env.STEP_HRL_TOOLS_DIR ?? path.join(projectRoot(), '.tools');
}

/**
 * Folder for run data (Temporal SQLite file, response cache, exports).
 * @default `./.step-hrl` in the working directory, overridden by `STEP_HRL_DATA_DIR`.
 */
export function defaultDataDir(): string {
  return process.env.STEP_HRL_DATA_DIR ?? path.resolve('.step-hrl');
}
