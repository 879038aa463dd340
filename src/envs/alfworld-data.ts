/**
 * Where the ALFWorld games are: `ALFWORLD_DATA` in the layout `alfworld-download` produces
 * (`json_2.1.1/{train,valid_seen,valid_unseen}/...`, `logic/`), else the shared data folder beside
 * the project, else alfworld's own default download folder. Mirrors the env server's
 * `default_data_dir` (envserver/step_hrl_envserver/alfworld_env.py), so a run can tell before
 * starting anything that the games are missing, with the same message the server gives.
 */
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../project';
import { EnvError } from './text-env';

/** How to get the games; the env server's `ALFWORLD_DATA_HELP` says the same. */
export const ALFWORLD_DATA_HELP =
  'get the games once with `pip install alfworld` then `alfworld-download --data-dir <folder>`, ' +
  'and `export ALFWORLD_DATA=<folder>` (the folder that holds json_2.1.1/ and logic/)';

/** Result of looking for the ALFWorld games on this machine. */
export type AlfWorldDataLookup = { found: true; dir: string } | { found: false; error: EnvError };

function holdsGames(dir: string): boolean {
  const games = path.join(dir, 'json_2.1.1');
  return existsSync(games) && statSync(games).isDirectory();
}

/** The error every path that needs the games gives when they are missing (`dir`: what was looked at). */
export function noAlfWorldDataError(dir: string | undefined): EnvError {
  const where = dir
    ? `${dir} has no json_2.1.1/ folder`
    : 'ALFWORLD_DATA is not set and no default folder holds the games';
  return new EnvError(`no ALFWorld data found (${where}); ${ALFWORLD_DATA_HELP}`, 'BadGameFile');
}

/**
 * Finds the games the way a locally spawned env server will: `ALFWORLD_DATA` when set (and then
 * only there), else `<project>/../shared/data/alfworld`, else `~/.cache/alfworld`.
 */
export function findAlfWorldData(env: NodeJS.ProcessEnv = process.env): AlfWorldDataLookup {
  const configured = env.ALFWORLD_DATA;
  if (configured) {
    return holdsGames(configured)
      ? { found: true, dir: configured }
      : { found: false, error: noAlfWorldDataError(configured) };
  }
  const candidates = [
    path.join(projectRoot(), '..', 'shared', 'data', 'alfworld'),
    path.join(os.homedir(), '.cache', 'alfworld'),
  ];
  const dir = candidates.find(holdsGames);
  return dir ? { found: true, dir } : { found: false, error: noAlfWorldDataError(undefined) };
}

/**
 * Whether this process can check the games itself: only when it spawns the env server
 * (`STEP_HRL_ENV_URL` unset); a configured server reads its own data folder and reports it.
 */
export function checksAlfWorldDataLocally(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env.STEP_HRL_ENV_URL;
}

/** File name of an ALFWorld game inside its trial folder. */
const GAME_FILE = 'game.tw-pddl';

/**
 * Why the game `task` (`<task-dir>/<trial-dir>` in `split`, or `<split>/<task-dir>/<trial-dir>`)
 * is not in the games folder `dir`, resolved as the env server resolves it; undefined when it is.
 */
export function alfWorldGameProblem(dir: string, task: string, split?: string): string | undefined {
  let rel = task.trim().replace(/^\/+|\/+$/g, '');
  if (split && !rel.startsWith(`${split}/`)) rel = `${split}/${rel}`;
  const root = path.resolve(dir, 'json_2.1.1');
  let file = path.resolve(root, rel);
  if (path.basename(file) !== GAME_FILE) file = path.join(file, GAME_FILE);
  if (!file.startsWith(root + path.sep))
    return `game ${JSON.stringify(rel)} is outside the ALFWorld data folder; give a path relative to json_2.1.1/`;
  if (!existsSync(file) || !statSync(file).isFile())
    return `ALFWorld game ${JSON.stringify(rel)} not found under ${root}; pass --split and a <task-dir>/<trial-dir> of that split`;
  return undefined;
}
