/**
 * Teacher-forced rollouts on recorded expert trajectories, with no model: the STEP-HRL loop and the
 * ReAct baseline build their real prompts (through `buildPolicyCall` / `buildReactCall`) at every
 * step of the expert's episode, and the scripted expert (a real `LlmClient`) answers them, so the
 * token counts are the project's own (`usage.promptTokens`) and a reply off the expert path fails.
 */
import { DEFAULT_EPISODE_CONFIG, promptOptionsOf, withDefaults } from '../../src/agent/config';
import {
  buildPolicyCall,
  formatObservation,
  observationContext,
  type ObservationContext,
  type ObservationFormat,
  type RoleInput,
} from '../../src/agent/prompts';
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
  /** What was sent: the prompt, or the messages' contents one after another. */
  sent: string;
  reply: string;
}

/** What a STEP-HRL rollout produced: its calls and the texts the expert wrote. */
export interface StepHrlRollout {
  calls: ForcedCall[];
  subtasks: string[];
  progressTexts: string[];
  actions: string[];
}

/**
 * Prompt options of a STEP-HRL rollout, as an episode config holds them: absent ones take the
 * config's defaults for the profile (`withDefaults`: `raw` observations; the high-level window 0 in
 * `paper`, 10 in `chat`).
 */
export interface StepHrlOptions {
  profile: PromptProfile;
  /** `--obs`. */
  obs?: ObservationFormat;
  /** `--high-level-window`: 0 lists every earlier subtask. */
  highLevelWindow?: number;
}

/**
 * The STEP-HRL loop as the workflows run it (high at each subtask start; low every step; progress
 * after every step but the last), on the trajectory's observations, answered by the scripted expert.
 * Prompts are built with the episode config's options (`promptOptionsOf`) and observations are
 * rendered with the context the workflows keep: the reset observation is `initial`; a subtask starts
 * with no `previous`, and each later observation in it has the one before as `previous`.
 * Throws when the expert's action differs from the trajectory's (the expert lost its place).
 */
export async function forcedStepHrl(traj: ExpertTrajectory, options: StepHrlOptions): Promise<StepHrlRollout> {
  const config = withDefaults({
    spec: traj.spec,
    profile: options.profile,
    ...(options.obs !== undefined && { obs: options.obs }),
    ...(options.highLevelWindow !== undefined && { highLevelWindow: options.highLevelWindow }),
  });
  const profile = config.profile;
  const prompts = promptOptionsOf(config);
  const llm = new ScriptedLlmClient(expertPolicyRules(traj.plan, profile));
  const env = traj.spec.env;
  const calls: ForcedCall[] = [];
  const ask = async (which: RoleInput, step: number): Promise<PolicyOutput> => {
    const call = buildPolicyCall(which, profile, config.decoding[which.role], prompts);
    const reply = await complete(llm, call);
    calls.push({ step, role: which.role, promptTokens: reply.promptTokens, sent: sentText(call), reply: reply.text });
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
          // A subtask starts here: the whole observation (episode.ts).
          observation: formatObservation(env, observation, { format: config.obs, initial: t === 0 }),
        },
      },
      t,
    );
    if (high.role !== 'high') throw new Error('expected a subtask');
    out.subtasks.push(high.subtask);
    let progress = 'None';
    let previous: ObservationContext | undefined; // none at a subtask start (subtask.ts)
    for (let done = false; !done && t < traj.steps.length; t++) {
      const low = await ask(
        {
          role: 'low',
          input: {
            subtask: high.subtask,
            observation: formatObservation(env, observation, { format: config.obs, initial: t === 0, previous }),
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
      previous = observationContext(observation); // the next prompts' context: the observation before this step
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
            observation: formatObservation(env, observation, { format: config.obs, previous }),
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
  const show = (o: Observation, initial = false) =>
    format === 'raw' ? o.text : formatObservation(traj.spec.env, o, { initial });
  const initial = format === 'raw' ? reactInitialObservation(traj.initial.text, traj.task) : show(traj.initial, true);
  const turns: ReactTurn[] = [];
  const calls: ForcedCall[] = [];
  for (const [t, expert] of traj.steps.entries()) {
    const call = buildReactCall(traj.task, initial, turns, profile, DEFAULT_EPISODE_CONFIG.decoding.react);
    const reply = await complete(llm, call);
    calls.push({ step: t, role: 'react', promptTokens: reply.promptTokens, sent: sentText(call), reply: reply.text });
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

function sentText(call: PolicyCallInput): string {
  return call.prompt ?? (call.messages ?? []).map((m) => m.content).join('\n');
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
