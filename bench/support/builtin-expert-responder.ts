/**
 * The scripted expert for many built-in episodes behind ONE model name (a worker has one backend):
 * a high-level prompt is routed to its task's plan by the task description it carries, a
 * low-level or progress prompt by its subtask text. Specs whose task description or subtask text
 * would be ambiguous are left out, so every episode follows its own gold plan.
 */
import { BuiltinTextEnv, goldSubtasks } from '../../src/envs/builtin';
import type { EnvSpec } from '../../src/envs/text-env';
import { expertPolicyRules } from '../../src/llm/expert-policy';
import type { MockResponder } from '../../tests/support/mock-openai-server';
import { roleOfPrompt, scriptResponder } from '../../tests/support/script-responder';

/** A spec the responder can play, with the steps each of its gold subtasks takes. */
export interface ExpertEpisode {
  spec: EnvSpec;
  stepsPerSubtask: number[];
}

/** Builds the responder for `specs`; returns the specs it kept (unambiguous ones). */
export async function builtinExpertResponder(
  specs: readonly EnvSpec[],
): Promise<{ responder: MockResponder; episodes: ExpertEpisode[] }> {
  const byTask = new Map<string, MockResponder>();
  const bySubtask = new Map<string, MockResponder>();
  const episodes: ExpertEpisode[] = [];
  for (const spec of specs) {
    const plan = goldSubtasks(spec);
    const env = new BuiltinTextEnv();
    const task = (await env.reset(spec)).taskDescription;
    await env.close();
    if (byTask.has(task) || plan.some((p) => bySubtask.has(p.subtask))) continue;
    const responder = scriptResponder(expertPolicyRules(plan, 'chat'));
    byTask.set(task, responder);
    for (const p of plan) bySubtask.set(p.subtask, responder);
    episodes.push({ spec, stepsPerSubtask: plan.map((p) => p.actions.length) });
  }
  const responder: MockResponder = (input) => {
    const role = roleOfPrompt(input.prompt);
    const key = role === 'high' ? /Task: (.*)\n/.exec(input.prompt)?.[1] : /Subtask: (.*)\n/.exec(input.prompt)?.[1];
    const chosen = key === undefined ? undefined : (role === 'high' ? byTask : bySubtask).get(key);
    if (!chosen) throw new Error(`builtin expert responder: no plan for this ${role} prompt`);
    return chosen(input);
  };
  return { responder, episodes };
}
