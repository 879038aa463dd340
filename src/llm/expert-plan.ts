/**
 * Expert plans (subtasks + actions) for the scripted expert policy: the built-in env's gold
 * subtasks, or an env server's expert actions (ScienceWorld gold path, ALFWorld walkthrough)
 * segmented into subtasks at each move to a new place, each labelled like the reference's
 * subtasks ("Go to kitchen and pick up thermometer") within its 32-token generation cap.
 */
import { countTokens } from '../agent/tokens';
import { goldSubtasks } from '../envs/builtin';
import { getExpertActions } from '../envs/expert';
import type { EnvSpec } from '../envs/text-env';
import type { ExpertSubtask } from './expert-policy';

const MOVE = /^(go to|teleport to|open door to) /;
/** Actions that only look: left out of a label when the segment does anything else. */
const LOOK_ONLY = /^(look around|look|inventory|examine .*)$/;

/** The reference's generation cap for a subtask (max_new_tokens of the high level). */
export const SUBTASK_TOKEN_CAP = 32;

/** Splits an action sequence into subtasks, one per "go to ..." leg, each with a short label. */
export function segmentByMoves(actions: readonly string[]): ExpertSubtask[] {
  const legs: string[][] = [];
  for (const action of actions) {
    if (legs.length === 0 || MOVE.test(action)) legs.push([]);
    legs.at(-1)!.push(action);
  }
  // The scripted low level finds a subtask's actions by its label, so two different legs never
  // share one: a repeated label for different actions gets its ordinal ("... (2)").
  const actionsByLabel = new Map<string, string>();
  return legs.map((legActions) => {
    const base = subtaskLabel(legActions);
    const key = legActions.join('\n');
    let subtask = base;
    for (let n = 2; actionsByLabel.has(subtask) && actionsByLabel.get(subtask) !== key; n++) subtask = `${base} (${n})`;
    actionsByLabel.set(subtask, key);
    return { subtask, actions: legActions };
  });
}

/**
 * A reference-style label for one leg: where it goes, then the first and last things done there
 * ("Go to kitchen and pick up thermometer, then focus on thermometer"), shortened until it
 * fits {@link SUBTASK_TOKEN_CAP} tokens.
 */
export function subtaskLabel(actions: readonly string[]): string {
  const moves = actions.filter((a) => MOVE.test(a));
  const doing = actions.filter((a) => !MOVE.test(a));
  const acting = doing.filter((a) => !LOOK_ONLY.test(a));
  const done = acting.length > 0 ? acting : doing;
  const where = moves.at(-1);
  const first = done[0];
  const last = done.length > 1 ? done.at(-1) : undefined;
  const candidates = [
    [where, first && last ? `${first}, then ${last}` : first].filter(Boolean).join(' and '),
    [where, first].filter(Boolean).join(' and '),
    where ?? first ?? 'look around',
  ].map(capitalise);
  const fitting = candidates.find((c) => c.length > 0 && countTokens(c) <= SUBTASK_TOKEN_CAP);
  return fitting ?? truncateToTokens(candidates.at(-1)!, SUBTASK_TOKEN_CAP);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The longest word prefix of `text` within `cap` tokens. */
function truncateToTokens(text: string, cap: number): string {
  const words = text.split(' ');
  while (words.length > 1 && countTokens(words.join(' ')) > cap) words.pop();
  return words.join(' ');
}

/** The expert plan for a spec (`envServerUrl` resolves the env server for real envs). */
export async function expertPlan(spec: EnvSpec, envServerUrl: () => Promise<string>): Promise<ExpertSubtask[]> {
  if (spec.env === 'builtin') return goldSubtasks(spec);
  return segmentByMoves(await getExpertActions(await envServerUrl(), spec));
}
