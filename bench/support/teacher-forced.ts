/**
 * Teacher-forced rollouts on recorded expert trajectories, with no model: the STEP-HRL loop and the
 * ReAct baseline build their real prompts (through `buildPolicyCall` / `buildReactCall`) at every
 * step of the expert's episode, and the scripted expert (a real `LlmClient`) answers them, so the
 * token counts are the project's own (`usage.promptTokens`) and a reply off the expert path fails.
 */
import { DEFAULT_EPISODE_CONFIG } from '../../src/agent/config';
import { buildPolicyCall, formatObservation, type RoleInput } from '../../src/agent/prompts';
import {
  buildReactCall,
  parseReactReply,
  reactInitialObservation,
  type ReactTurn,
} from '../../src/agent/prompts/react';
import { parsePolicyOutput, type PolicyOutput } from '../../src/agent/schemas';
import type { EnvSpec, Observation, PolicyCallInput, PromptProfile } from '../../src/agent/vocabulary';
import { getExpertActions } from '../../src/envs/expert';
import { createHttpTextEnv } from '../../src/envs/http-text-env';
import { segmentByMoves } from '../../src/llm/expert-plan';
import { expertPolicyRules, type ExpertSubtask } from '../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../src/llm/scripted-client';
import type { PolicyRole } from '../../src/llm/types';

/** One expert step as the env answered it. */
export interface ExpertStep {
  action: string;
  observation: Observation;
  done: boolean;
  won: boolean;
  score: number;
}

/** An expert episode played on the real env: the start and every step up to the end (or the gold path's end). */
export interface ExpertTrajectory {
  spec: EnvSpec;
  task: string;
  initial: Observation;
  steps: ExpertStep[];
  plan: ExpertSubtask[];
}

/** Plays the env server's expert actions for `spec` on a fresh session and records what it saw. */
export async function recordExpertTrajectory(url: string, spec: EnvSpec): Promise<ExpertTrajectory> {
  const actions = await getExpertActions(url, spec);
  const env = createHttpTextEnv(spec.env as 'scienceworld' | 'alfworld', { url });
  try {
    const reset = await env.reset(spec);
    const steps: ExpertStep[] = [];
    for (const action of actions) {
      const r = await env.step(action);
      steps.push({ action, observation: r.observation, done: r.done, won: r.won, score: r.score });
      if (r.done) break;
    }
    const plan = segmentByMoves(steps.map((s) => s.action));
    return { spec, task: reset.taskDescription, initial: reset.observation, steps, plan };
  } finally {
    await env.close();
  }
}

/** One model call made by a rollout, at the env step (0-based) it decides for. */
export interface ForcedCall {
  step: number;
  role: PolicyRole;
  promptTokens: number;
  reply: string;
}

/** What a STEP-HRL rollout produced: its calls and the texts the expert wrote. */
export interface StepHrlRollout {
  calls: ForcedCall[];
  subtasks: string[];
  progressTexts: string[];
  actions: string[];
}

/** Options of a STEP-HRL rollout: the prompt profile (more options join here as builders gain them). */
export interface StepHrlOptions {
  profile: PromptProfile;
}

/**
 * The STEP-HRL loop as the workflows run it (high at each subtask start; low every step; progress
 * after every step but the last), on the trajectory's observations, answered by the scripted expert.
 * Throws when the expert's action differs from the trajectory's (the expert lost its place).
 */
export async function forcedStepHrl(traj: ExpertTrajectory, options: StepHrlOptions): Promise<StepHrlRollout> {
  const { profile } = options;
  const llm = new ScriptedLlmClient(expertPolicyRules(traj.plan, profile));
  const env = traj.spec.env;
  const calls: ForcedCall[] = [];
  const ask = async (which: RoleInput, step: number): Promise<PolicyOutput> => {
    const call = buildPolicyCall(which, profile, DEFAULT_EPISODE_CONFIG.decoding[which.role]);
    const reply = await complete(llm, call);
    calls.push({ step, role: which.role, promptTokens: reply.promptTokens, reply: reply.text });
    const parsed = parsePolicyOutput(which.role, profile, reply.text);
    if (!parsed.ok) throw new Error(`${traj.spec.task}: unparseable ${which.role} reply ${JSON.stringify(reply.text)}`);
    return parsed.value;
  };
  const out: StepHrlRollout = { calls, subtasks: [], progressTexts: [], actions: [] };
  let observation = traj.initial;
  let lastProgress = 'None';
  let t = 0;
  let ended = false;
  while (t < traj.steps.length) {
    const high = await ask(
      {
        role: 'high',
        input: {
          task: traj.task,
          subtasks: out.subtasks,
          lastProgress,
          observation: formatObservation(env, observation),
        },
      },
      t,
    );
    if (high.role !== 'high') throw new Error('expected a subtask');
    out.subtasks.push(high.subtask);
    let progress = 'None';
    for (let done = false; !done && t < traj.steps.length; t++) {
      const low = await ask(
        {
          role: 'low',
          input: {
            subtask: high.subtask,
            observation: formatObservation(env, observation),
            progress,
            validActions: observation.validActions,
          },
        },
        t,
      );
      if (low.role !== 'low') throw new Error('expected a decision');
      const expert = traj.steps[t]!;
      if (low.decision.action !== expert.action)
        throw new Error(
          `${traj.spec.task}: step ${t}: the scripted expert chose ${JSON.stringify(low.decision.action)}, the gold path ${JSON.stringify(expert.action)} (subtask ${JSON.stringify(high.subtask)}, progress ${JSON.stringify(progress)})`,
        );
      out.actions.push(expert.action);
      observation = expert.observation;
      done = low.decision.subtaskDone;
      if (expert.done) {
        ended = true;
        t++;
        break;
      }
      const next = await ask(
        {
          role: 'progress',
          input: {
            subtask: high.subtask,
            previousProgress: progress,
            action: expert.action,
            observation: formatObservation(env, observation),
          },
        },
        t,
      );
      if (next.role !== 'progress') throw new Error('expected progress');
      progress = next.progress;
      out.progressTexts.push(progress);
    }
    if (ended) break;
    lastProgress = progress;
  }
  return out;
}

/** ReAct's observation format: the env's raw text (AgentGym) or the reference's (Look and Inventory every step). */
export type ReactObservationFormat = 'raw' | 'look';

/** The ReAct baseline on the trajectory: one call per step over the whole transcript so far. */
export async function forcedReact(
  traj: ExpertTrajectory,
  format: ReactObservationFormat,
  profile: PromptProfile = 'paper',
): Promise<ForcedCall[]> {
  const llm = new ScriptedLlmClient(expertPolicyRules(traj.plan, profile));
  const show = (o: Observation) => (format === 'raw' ? o.text : formatObservation(traj.spec.env, o));
  const initial = format === 'raw' ? reactInitialObservation(traj.initial.text, traj.task) : show(traj.initial);
  const turns: ReactTurn[] = [];
  const calls: ForcedCall[] = [];
  for (const [t, expert] of traj.steps.entries()) {
    const call = buildReactCall(traj.task, initial, turns, profile, DEFAULT_EPISODE_CONFIG.decoding.react);
    const reply = await complete(llm, call);
    calls.push({ step: t, role: 'react', promptTokens: reply.promptTokens, reply: reply.text });
    const parsed = parseReactReply(profile, reply.text);
    const action = parsed.ok ? parsed.value.action : undefined;
    if (action !== expert.action)
      throw new Error(
        `${traj.spec.task}: ReAct step ${t}: expert chose ${JSON.stringify(action)}, gold ${JSON.stringify(expert.action)}`,
      );
    turns.push({ action: expert.action, observation: show(expert.observation) });
  }
  return calls;
}

async function complete(
  llm: ScriptedLlmClient,
  call: PolicyCallInput,
): Promise<{ text: string; promptTokens: number }> {
  const r = await llm.complete({
    role: call.role,
    prompt: call.prompt,
    messages: call.messages,
    stop: call.stop,
    maxTokens: call.maxTokens,
    temperature: call.temperature,
  });
  return { text: r.text, promptTokens: r.usage.promptTokens };
}
