/** Deterministic workflow ids of an episode's children and an eval's episodes, so resumed runs find them. */

/** Workflow id of the child running part `part` of subtask `index` of `episodeId`. */
export function subtaskWorkflowId(episodeId: string, index: number, part: number): string {
  return `${episodeId}/subtask-${index}.${part}`;
}

/** Workflow id of episode `index` of eval `evalId`. */
export function evalEpisodeId(evalId: string, index: number): string {
  return `${evalId}/ep-${String(index).padStart(4, '0')}`;
}
