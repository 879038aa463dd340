/**
 * Where the embedded local model lives on disk and how it is named in records. Pure path logic
 * plus one `stat`; no node-llama-cpp here, so it is cheap to import anywhere (CLI, config).
 * May import: node built-ins, `../project` and `./types` only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { toolsDir } from '../project';
import { LlmError } from './types';

export { projectRoot } from '../project';

/** File name (under the models dir) of the default local model installed by `scripts/setup-model.sh`. */
export const DEFAULT_LOCAL_MODEL_FILE = 'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf';

/** File name of the tiny alternative model (fast tests), also installed by `scripts/setup-model.sh`. */
export const TINY_LOCAL_MODEL_FILE = 'smollm2-135m-instruct-q4_1.gguf';

/** Env var that overrides the model path (same effect as the `modelPath` option / CLI flag). */
export const MODEL_PATH_ENV = 'STEP_HRL_MODEL_PATH';

/** Directory the setup script installs models into: `$STEP_HRL_TOOLS_DIR/models`, default `<repo>/.tools/models`. */
export function localModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(toolsDir(env), 'models');
}

/**
 * The model path to use: the explicit option, else `$STEP_HRL_MODEL_PATH`, else the default
 * installed model. Relative paths resolve against the current directory, like any CLI path.
 */
export function resolveLocalModelPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = explicit || env[MODEL_PATH_ENV] || path.join(localModelsDir(env), DEFAULT_LOCAL_MODEL_FILE);
  return path.resolve(chosen);
}

/** Stable record id of a local model: `local/<file name without .gguf>`, e.g. `local/qwen2.5-coder-1.5b-instruct-q4_k_m`. */
export function localModelId(modelPath: string): string {
  return `local/${path.basename(modelPath).replace(/\.gguf$/i, '')}`;
}

/**
 * Throws a non-retryable {@link LlmError} naming the path and the fix when `modelPath` is not a
 * readable file; returns its size in bytes otherwise.
 */
export function assertModelFile(modelPath: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(modelPath);
  } catch {
    throw new LlmError(
      `Local model file not found: ${modelPath}. Install the default model with \`npm run setup\` ` +
        `(or \`bash scripts/setup-model.sh\`), or point --model-path / ${MODEL_PATH_ENV} at a GGUF file.`,
      false,
    );
  }
  if (!stat.isFile()) {
    throw new LlmError(`Local model path is not a file: ${modelPath}; expected a .gguf file.`, false);
  }
  return stat.size;
}

/** Human-readable byte size, e.g. `1.04 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 2)} ${units[i]}`;
}
