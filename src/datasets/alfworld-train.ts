/**
 * The ALFWorld train split in the project's own data folder: `train.tar.xz` (3,523 games, beside
 * the shared evaluation splits) is unpacked once into `<data>/json_2.1.1/train/`, and the shared
 * splits and `logic/` are linked beside it, so one env server (`ALFWORLD_DATA=<data>`) serves
 * train, train_sample and valid_* games. A marker file records a finished unpack, so an
 * interrupted one is redone.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { findAlfWorldData } from '../envs/alfworld-data';
import { projectRoot } from '../project';

const run = promisify(execFile);

/** Where the project keeps its ALFWorld data folder by default. */
export function defaultAlfWorldDataDir(): string {
  return path.join(projectRoot(), '.step-hrl', 'data', 'alfworld');
}

const MARKER = '.train-unpacked';

/**
 * Makes `dir` an ALFWorld data folder holding the train split: unpacks `tarball` (default: the
 * `train.tar.xz` beside the games `findAlfWorldData` finds) unless already done, and links the
 * source folder's `logic/`. Returns `dir`.
 */
export async function prepareAlfWorldTrainData(dir = defaultAlfWorldDataDir(), tarball?: string): Promise<string> {
  const source = findAlfWorldData();
  const tar = tarball ?? (source.found ? path.join(source.dir, 'train.tar.xz') : undefined);
  const games = path.join(dir, 'json_2.1.1');
  await mkdir(games, { recursive: true });
  if (!existsSync(path.join(dir, MARKER))) {
    if (!tar || !existsSync(tar))
      throw new Error(
        `cannot unpack the ALFWorld train split: no train.tar.xz found (looked at ${tar ?? 'the ALFWorld data folder'}); pass its path`,
      );
    await rm(path.join(games, 'train'), { recursive: true, force: true });
    await run('tar', ['-xJf', tar, '-C', dir], { maxBuffer: 1 << 20 });
    await writeFile(path.join(dir, MARKER), `${path.basename(tar)}\n`);
  }
  if (source.found && path.resolve(source.dir) !== path.resolve(dir)) {
    const link = async (from: string, to: string) => {
      if (existsSync(from) && !existsSync(to)) await symlink(from, to);
    };
    await link(path.join(source.dir, 'logic'), path.join(dir, 'logic'));
  }
  return dir;
}

/** The ALFWorld data folder an env server needs for `split`: the project's for train, else the default lookup's. */
export async function alfWorldDataFor(split: string): Promise<string | undefined> {
  return split === 'train' ? prepareAlfWorldTrainData() : undefined;
}
