/**
 * Where the project keeps its installed tools and its run data.
 * Tools (Temporal CLI, Python venv, local model) live in the project; run data in the working directory.
 */
import path from 'node:path';

export { projectRoot, toolsDir } from '../project';

/**
 * Folder for run data (Temporal SQLite file, response cache, exports).
 * @default `./.step-hrl` in the working directory, overridden by `STEP_HRL_DATA_DIR`.
 */
export function defaultDataDir(): string {
  return process.env.STEP_HRL_DATA_DIR ?? path.resolve('.step-hrl');
}
