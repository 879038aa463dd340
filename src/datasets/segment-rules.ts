/**
 * The rule-based segmenter and local-progress labeller: no model, deterministic text, used by tests,
 * the token benchmark and as the teacher's fallback. Versioned by {@link RULES_VERSION}: change a
 * rule, bump it (it goes into every row's provenance).
 *
 * Segmentation heuristic per env:
 * - **ALFWorld**: one subtask per `go to X` together with the actions done at X (everything up to
 *   the next `go to`); actions before the first `go to` join the first subtask.
 * - **ScienceWorld**: a run of consecutive moves (`open door to`, `go to`, `teleport to`) is one
 *   navigation subtask; the actions done at the destination form the next subtask, which a
 *   `focus on ...` closes (focusing commits the task's object, so what follows is a new subtask);
 *   a move after other actions starts a new navigation subtask.
 *
 * Subtask text: the project's reference-style label (`subtaskLabel`: where it goes, then the first
 * and last things done there, within the high level's 32-token cap); a repeated label for other
 * actions gets an ordinal (" (2)"), so one label never stands for two different action lists.
 *
 * Progress labels, after every step but the episode's terminal one (progress starts at `None` in
 * each subtask): `Done <k> of <n> actions; last: <action>.` followed by the reference's
 * bookkeeping for the subtask's mode:
 * - navigation (every action a move): ` || [Route: <place> -> <place> ...]` (places reached so far);
 * - search (opens, examines or looks, and takes nothing yet): ` || [Checked: a, b]`, the places and
 *   receptacles reached or opened so far (never dropped);
 * - otherwise the sentence alone.
 */
import { subtaskLabel } from '../llm/expert-plan';
import type { EnvKind } from '../agent/vocabulary';
import type { ProgressLabel, Segment } from '../episode/dataset-records';

/** Version of these rules, recorded in provenance. */
export const RULES_VERSION = 'rules-v1';

const SCIENCEWORLD_MOVE = /^(go to|teleport to|open door to) /;
const ALFWORLD_MOVE = /^go to /;

/** Splits an expert action sequence into subtasks by the env's rule (see the file header). */
export function segmentByRules(env: EnvKind, actions: readonly string[]): Segment[] {
  const groups: string[][] = [];
  if (env === 'scienceworld') {
    let closed = false;
    for (const action of actions) {
      const current = groups.at(-1);
      const move = SCIENCEWORLD_MOVE.test(action);
      const currentIsNav = current !== undefined && current.every((a) => SCIENCEWORLD_MOVE.test(a));
      if (current === undefined || closed || move !== currentIsNav) groups.push([action]);
      else current.push(action);
      closed = /^focus on /.test(action);
    }
  } else {
    for (const action of actions) {
      if (groups.length === 0 || (ALFWORLD_MOVE.test(action) && groups.at(-1)!.some((a) => ALFWORLD_MOVE.test(a))))
        groups.push([]);
      groups.at(-1)!.push(action);
    }
  }
  const seen = new Map<string, string>();
  return groups.map((group) => {
    const base = subtaskLabel(group);
    const key = group.join('\n');
    let subtask = base;
    for (let n = 2; seen.has(subtask) && seen.get(subtask) !== key; n++) subtask = `${base} (${n})`;
    seen.set(subtask, key);
    return { subtask, actions: [...group] };
  });
}

/** The reference's progress modes. */
export type ProgressMode = 'search' | 'navigation' | 'other';

const ANY_MOVE = /^(go to|teleport to|open door to) /;
const PLACE = /^(?:go to|teleport to|open door to|open|examine) (.+)$/;

/** The mode of a subtask from its actions (see the file header). */
export function progressMode(actions: readonly string[]): ProgressMode {
  if (actions.length > 0 && actions.every((a) => ANY_MOVE.test(a))) return 'navigation';
  const searching = actions.some((a) => /^(open |examine |look around$|look$)/.test(a));
  const taking = actions.some((a) => /^(take |pick up |put |move |focus on )/.test(a));
  return searching && !taking ? 'search' : 'other';
}

/** The reference's cleanup of a stored progress target: a trailing `" || [Checked: ]"` or `" ||"` goes. */
export function stripProgressSuffix(text: string): string {
  return text
    .replace(/\s*\|\|\s*\[Checked:\s*\]\s*$/, '')
    .replace(/\s*\|\|\s*$/, '')
    .trim();
}

/** The rule label after `done` of the segment's actions (1-based count; the last done is `actions[done-1]`). */
export function ruleProgressLabel(actions: readonly string[], done: number): ProgressLabel {
  const action = actions[done - 1];
  const sentence = `Done ${done} of ${actions.length} actions; last: ${action}.`;
  const places = actions
    .slice(0, done)
    .map((a) => PLACE.exec(a)?.[1])
    .filter((p): p is string => p !== undefined)
    .filter((p, i, all) => all.indexOf(p) === i);
  const mode = progressMode(actions);
  const raw =
    mode === 'navigation'
      ? `${sentence} || [Route: ${places.join(' -> ')}]`
      : mode === 'search'
        ? `${sentence} || [Checked: ${places.join(', ')}]`
        : sentence;
  return { raw, label: stripProgressSuffix(raw) };
}

/**
 * Rule labels of a whole segmented trajectory: one per step, `undefined` on the episode's
 * terminal step (`lastIsTerminal`), as the episode makes no progress update there.
 */
export function ruleProgressLabels(segments: readonly Segment[], lastIsTerminal = true): (ProgressLabel | undefined)[] {
  const labels: (ProgressLabel | undefined)[] = segments.flatMap((s) =>
    s.actions.map((_a, i) => ruleProgressLabel(s.actions, i + 1)),
  );
  if (lastIsTerminal && labels.length > 0) labels[labels.length - 1] = undefined;
  return labels;
}
