/**
 * Where the project lives and keeps its installed tools. One place, used by the Temporal
 * provisioning, the env server launcher and the local model, so `STEP_HRL_TOOLS_DIR` means the
 * same thing everywhere. Works from `src/` (ts-node, jest) and `dist/` (compiled CLI).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root: the nearest ancestor of this file holding package.json and scripts/setup.sh. */
export function projectRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'scripts', 'setup.sh'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

/**
 * Folder holding tools installed by `npm run setup` (Temporal CLI, env server venv, models).
 * @default `<project>/.tools`, overridden by `STEP_HRL_TOOLS_DIR`.
 */
export function toolsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.STEP_HRL_TOOLS_DIR || path.join(projectRoot(), '.tools');
}
