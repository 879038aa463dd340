/**
 * Golden-prompt helpers: a scripted episode (subtasks of a few expert actions, one-line progress
 * texts), the same script as ScriptedLlmClient rules, and the env server's independent Python
 * implementation of the reference's prompts (`envserver/step_hrl_envserver/golden_prompts.py`).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { PolicyRole } from '../../src/llm/types';
import type { ScriptRule } from '../../src/llm/scripted-client';
import { projectRoot, toolsDir } from '../../src/project';

/** The model's replies of one episode, consumed in order per role (the reference's text formats). */
export interface ReplyScript {
  high: string[];
  low: string[];
  progress: string[];
}

/** One model call: role and raw prompt. */
export interface PromptCall {
  role: PolicyRole;
  prompt: string;
}

/** A golden case as the Python module takes it. */
export type GoldenCase =
  | { env: 'scienceworld'; task: string; variation: number; max_steps: number; replies: ReplyScript }
  | { env: 'alfworld'; game_file: string; max_steps: number; replies: ReplyScript };

/**
 * Replies that follow `actions` in subtasks of `perSubtask` actions (the last flagged True), with
 * subtask texts that need Python's quoting rules (`'`, `"`, both) and progress texts in the
 * reference's `<sentence> || [Checked: ...]` style.
 */
export function replyScript(actions: readonly string[], perSubtask = 3): ReplyScript {
  const script: ReplyScript = { high: [], low: [], progress: [] };
  const styles = [
    (a: string) => `Start with ${a}`,
    (a: string) => `Handle the agent's next step: ${a}`,
    (a: string) => `Do the "${a}" part of the task's plan`,
    (a: string) => `Continue with "${a}"`,
  ];
  actions.forEach((action, i) => {
    const inSubtask = i % perSubtask;
    if (inSubtask === 0) script.high.push(styles[script.high.length % styles.length]!(action));
    const last = inSubtask === perSubtask - 1 || i === actions.length - 1;
    script.low.push(`${action}; ${last ? 'True' : 'False'}`);
    script.progress.push(`Did ${i + 1} actions, the last one ${action}. || [Checked: step ${i + 1}]`);
  });
  return script;
}

/** ScriptedLlmClient rules answering each role's calls with the script's next reply. */
export function scriptRules(script: ReplyScript): ScriptRule[] {
  const next = (role: keyof ReplyScript) => {
    let i = 0;
    return () => {
      const reply = script[role][i++];
      if (reply === undefined) throw new Error(`the reply script has no '${role}' reply left (call ${i})`);
      return reply;
    };
  };
  return (['high', 'low', 'progress'] as const).map((role) => ({ role, match: '', reply: next(role) }));
}

/** Runs the Python golden-prompt module on `cases`; one list of calls per case, in call order. */
export async function goldenPrompts(cases: readonly GoldenCase[]): Promise<PromptCall[][]> {
  const python = process.env.STEP_HRL_ENV_PYTHON ?? path.join(toolsDir(), 'venv', 'bin', 'python');
  const child = spawn(python, ['-m', 'step_hrl_envserver.golden_prompts'], {
    cwd: path.join(projectRoot(), 'envserver'),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => stdout.push(d));
  child.stderr.on('data', (d: Buffer) => stderr.push(d));
  child.stdin.end(JSON.stringify({ cases }));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0)
    throw new Error(`golden_prompts exited with ${code}: ${Buffer.concat(stderr).toString().slice(-2000)}`);
  const out = JSON.parse(Buffer.concat(stdout).toString()) as { cases: { calls: PromptCall[] }[] };
  return out.cases.map((c) => c.calls);
}
