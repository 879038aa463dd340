/**
 * Input checks that come before anything starts, so a typo costs no Temporal or env server start:
 * the task against the static lists (built-in task ids, the 30 ScienceWorld task names) and an
 * ALFWorld game against the data folder (when this process spawns the env server, which reads the
 * same folder); and, once Temporal is open but before the env server or a worker starts, whether
 * an episode id is taken.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { EpisodeExistsError } from '../client';
import { alfWorldGameProblem, checksAlfWorldDataLocally, findAlfWorldData } from '../envs/alfworld-data';
import { BUILTIN_TASKS } from '../envs/builtin';
import { SCIENCEWORLD_ALL_TASKS } from '../envs/splits';
import type { EnvSpec } from '../envs/text-env';

/**
 * The ScienceWorld name the env server would resolve `task` to (it also accepts a task id such as
 * `1-1`, a `task-1-boil` style name and the paper's "topic task" names, which are left to it).
 */
function scienceWorldTaskKnown(task: string): boolean {
  const name = task
    .trim()
    .replace('mendellian', 'mendelian')
    .replace(/task-(\d|a|b)+-|[()]/g, '');
  return SCIENCEWORLD_ALL_TASKS.includes(name) || /^\d+-\d+$/.test(name) || /\s/.test(name);
}

/** @throws naming `--task` (or the data folder) and the fix, when the task cannot exist. */
export function checkTask(spec: EnvSpec, env: NodeJS.ProcessEnv = process.env): void {
  if (spec.env === 'builtin' && !BUILTIN_TASKS.includes(spec.task))
    throw new Error(
      `--task ${JSON.stringify(spec.task)} is not a built-in task; choose one of: ${BUILTIN_TASKS.join(', ')}`,
    );
  if (spec.env === 'scienceworld' && !scienceWorldTaskKnown(spec.task))
    throw new Error(
      `--task ${JSON.stringify(spec.task)} is not a ScienceWorld task; choose one of: ${SCIENCEWORLD_ALL_TASKS.join(', ')}`,
    );
  if (spec.env === 'alfworld' && checksAlfWorldDataLocally(env)) {
    const lookup = findAlfWorldData(env);
    if (!lookup.found) throw lookup.error;
    const problem = alfWorldGameProblem(lookup.dir, spec.task, spec.split);
    if (problem) throw new Error(`--task: ${problem}`);
  }
}

/** @throws {@link EpisodeExistsError} when `episodeId` is taken (running or closed): an id runs once. */
export async function checkEpisodeIdFree(client: Client, episodeId: string): Promise<void> {
  const status = await client.workflow
    .getHandle(episodeId)
    .describe()
    .then(
      (d) => d.status.name.toLowerCase(),
      (err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      },
    );
  if (status) throw new EpisodeExistsError(episodeId, status);
}
