/**
 * A scripted policy for long episodes: every subtask is "look around" for `perSubtask` steps,
 * counted in the local progress (so the low level knows when to flag done from its bounded input).
 */
import type { ScriptRule } from '../../src/llm/scripted-client';

/** Rules (chat profile) that keep an episode going for as long as the step budget allows. */
export function loopingPolicyRules(perSubtask: number): ScriptRule[] {
  const count = (text: string): number => Number(/Looked (\d+) times/.exec(text)?.[1] ?? 0);
  return [
    {
      role: 'high',
      match: 'Historical subtasks:',
      reply: () => JSON.stringify({ subtask: 'Survey the room once more' }),
    },
    {
      role: 'low',
      match: 'Local progress:',
      reply: (p) => {
        const n = count(/Local progress: (.*)/.exec(p)?.[1] ?? '');
        return JSON.stringify({ action: n % 2 === 0 ? 'look' : 'wait', subtask_done: n + 1 >= perSubtask });
      },
    },
    {
      role: 'progress',
      match: 'Previous local progress:',
      reply: (p) =>
        JSON.stringify({ progress: `Looked ${count(/Previous local progress: (.*)/.exec(p)?.[1] ?? '') + 1} times` }),
    },
    { role: 'react', match: '', reply: (p) => JSON.stringify({ action: p.length % 2 === 0 ? 'look' : 'wait' }) },
  ];
}
