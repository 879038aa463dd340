/**
 * A scripted STEP-HRL policy that follows an expert solution (gold subtasks with their actions):
 * rules for {@link ScriptedLlmClient} that read only what the bounded prompts contain. The high
 * level counts issued subtasks, the low level finds its place from the local progress, and the
 * progress module writes one short sentence in the reference's style ("Done 2 of 4 actions; last:
 * pick up thermometer.", within the 150-token progress cap) — so it exercises the real
 * prompt → parse → env loop. The
 * ReAct baseline's role counts the actions already in its transcript and gives the next one of the
 * plan's actions, flattened.
 * Used by tests and by the demo when no model is configured (labelled as scripted).
 */
import { parseHistoricalSubtasks } from '../agent/prompts/history';
import type { ScriptRule } from './scripted-client';

/** One expert subtask: a goal and the actions that achieve it. */
export interface ExpertSubtask {
  subtask: string;
  actions: string[];
}

/** The count of actions done, as the progress sentence states it. */
const PROGRESS_COUNT = /^Done (\d+) of \d+ actions/;

/** How many of the subtask's actions a progress text says are done (0 for "None" or anything else). */
export function actionsDone(progress: string): number {
  return Number(PROGRESS_COUNT.exec(progress)?.[1] ?? 0);
}

/** The progress sentence after `done` of `total` actions, the last one being `action`. */
export function progressText(done: number, total: number, action: string): string {
  return `Done ${done} of ${total} actions; last: ${action}.`;
}

/** Script rules answering like an expert, in the given prompt profile's output format. */
export function expertPolicyRules(plan: readonly ExpertSubtask[], profile: 'paper' | 'chat'): ScriptRule[] {
  const bySubtask = new Map(plan.map((p) => [p.subtask, p.actions]));
  const json = profile === 'chat';
  const allActions = plan.flatMap((p) => p.actions);
  return [
    {
      role: 'high',
      match: 'Historical subtasks:',
      reply: (prompt) => {
        // A bounded high level lists only the last subtasks after a count of earlier ones: the
        // expert issued those in plan order, so its place is past them.
        const history = parseHistoricalSubtasks(/Historical subtasks: (.*)\n/.exec(prompt)?.[1] ?? '[]');
        const earlier = Math.min(history?.earlier ?? 0, plan.length);
        const position = earlier + planPosition(plan.slice(earlier), history?.recent ?? []);
        const next = plan[Math.min(position, plan.length - 1)]?.subtask ?? 'look around';
        return json ? JSON.stringify({ subtask: next }) : next;
      },
    },
    {
      role: 'low',
      match: /Subtask: /,
      reply: (prompt) => {
        const subtask = /Subtask: (.*)\n/.exec(prompt)?.[1] ?? '';
        const progress = /Local [Pp]rogress: (.*)/.exec(prompt)?.[1] ?? 'None';
        const actions = bySubtask.get(subtask) ?? ['look'];
        const done = actionsDone(progress);
        const action = actions[Math.min(done, actions.length - 1)];
        const finished = done >= actions.length - 1;
        return json ? JSON.stringify({ action, subtask_done: finished }) : `${action}; ${finished ? 'True' : 'False'}`;
      },
    },
    {
      role: 'progress',
      match: 'Previous local progress:',
      reply: (prompt) => {
        const previous = /Previous local progress: (.*)\n/.exec(prompt)?.[1] ?? 'None';
        const action = /Current action: (.*)\n/.exec(prompt)?.[1] ?? '';
        const subtask = /Subtask: (.*)\n/.exec(prompt)?.[1] ?? '';
        const done = actionsDone(previous) + 1;
        const text = progressText(done, bySubtask.get(subtask)?.length ?? done, action);
        return json ? JSON.stringify({ progress: text }) : text;
      },
    },
    {
      role: 'react',
      match: 'Observation:',
      reply: (prompt, request) => {
        // Chat: one assistant turn per past step. Paper: one `Action: <command>` line per past step
        // (the prompt's last line is a bare `Action:`, still to be completed).
        const done = request.messages
          ? request.messages.filter((m) => m.role === 'assistant').length
          : (prompt.match(/^Action: \S/gm) ?? []).length;
        const action = allActions[Math.min(done, allActions.length - 1)] ?? 'look';
        return json ? `Thought: step ${done + 1} of the expert plan.\nAction: ${action}` : ` ${action}`;
      },
    },
  ];
}

/**
 * How many plan subtasks the issued ones cover, matched in order: a plan may repeat a subtask
 * (e.g. "open door to hallway" on the way out and back), so each issued item counts once, for the
 * next plan entry it equals; issued items off the plan are skipped.
 */
export function planPosition(plan: readonly ExpertSubtask[], issued: readonly string[]): number {
  let position = 0;
  for (const subtask of issued) if (position < plan.length && subtask === plan[position].subtask) position++;
  return position;
}
