/**
 * `step-hrl eval`: an evaluation (a paper preset or a selection) as one durable EvalWorkflow, with
 * a worker in this process and live progress; `eval show` and `eval compare` print results again.
 * Killing the process loses nothing: the same command (or `step-hrl resume <eval-id>`) continues.
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import {
  configProblems,
  DEFAULT_MAX_STEPS,
  defaultHighLevelWindow,
  resolveSharedConfig,
  type EpisodeConfig,
} from '../../agent/config';
import { addOutcome, compactPlan, NO_TOTALS, type EvalTotals } from '../../episode/eval-state';
import type { SlimOutcome } from '../../episode/eval-outcome';
import { planEpisodes } from '../../episode/eval-records';
import {
  defaultEvalId,
  fetchEvalResults,
  openExistingEval,
  startOrAttachEval,
  type OpenedEval,
} from '../../eval/client';
import { evalProgressOf } from '../../episode/eval-outcome';
import { EVAL_PRESET_NAMES, resolvePlan, type EvalPresetName } from '../../eval/plan';
import { compareEvals, renderCompareTerminal } from '../../eval/compare';
import { renderResultsTerminal } from '../../eval/render';
import { AGENT_KINDS, type AgentKind, type EvalResults } from '../../episode/eval-types';
import { writeComparison, writeResults } from '../../eval/write';
import type { EnvSpec } from '../../envs/text-env';
import { releaseLostWork } from '../../lost-worker';
import { releaseGoneSessions } from '../../envs/env-server';
import { parseLlmChoice, type LlmChoice } from '../../llm/select';
import { retryWhileTemporalAway, TEMPORAL_OUTAGE_VAR, temporalOutageWindowMs } from '../temporal-outage';
import { HIGH_LEVEL_WINDOW_HELP, int, MAX_STEPS_LIMIT, OBS_HELP, oneOf, parsePromptFlags } from '../episode-options';
import { createProgressView } from '../eval-progress';
import { LLM_SLOTS_HELP } from '../llm-slots';
import { createOutput, type Output } from '../output';
import { action, program } from '../program';
import { modelLabel, withSession, type CliSession, type WorkerCliOptions } from '../session';
import { DATA_DIR_WITH_CACHE, withTemporalOptions, type TemporalCliOptions } from '../temporal';
import type { EvalInput, EvalWorkflowResult } from '../../episode/eval-records';
import type { EvalProgress } from '../../episode/eval-types';
import { evalEpisodeId } from '../../episode/ids';
import { hostsLine } from '../../eval/hosts';
import type { EvalWorkflow } from '../../episode/messages';
import { evalProgressFeed } from './eval-follow';

/** Raw flags of `step-hrl eval`. */
interface EvalFlags extends TemporalCliOptions {
  preset?: string;
  env?: string;
  tasks?: string;
  split?: string;
  perTask?: string;
  limit?: string;
  agent: string;
  llm: string;
  modelPath?: string;
  llmSlots?: string;
  profile: string;
  maxSteps?: string;
  repairAttempts: string;
  obs?: string;
  highLevelWindow?: string;
  concurrency?: string;
  evalId?: string;
  rerun?: boolean;
  out?: string;
  json?: boolean;
}

/** Episodes in flight by default: what the backend can serve at once. */
export function defaultConcurrency(llm: LlmChoice, env: NodeJS.ProcessEnv = process.env): number {
  if (llm === 'expert') return 8;
  const endpoint = Boolean(env.OPENAI_BASE_URL || env.OPENAI_API_KEY);
  if (llm === 'openai' || (llm === 'auto' && endpoint)) return 32; // a batching server (vLLM, llama.cpp) wants many
  return 1; // the embedded CPU model answers one call at a time
}

/** Where an eval's result files go by default. */
export function evalOutputDir(dataDir: string, evalId: string): string {
  return path.join(dataDir, 'evals', evalId.replace(/[^A-Za-z0-9._-]+/g, '_'));
}

async function runEval(flags: EvalFlags, out: Output): Promise<void> {
  const agent = oneOf('--agent', flags.agent, AGENT_KINDS) as AgentKind;
  const llmChoice = parseLlmChoice(flags.llm);
  const profile = oneOf('--profile', flags.profile, ['chat', 'paper'] as const);
  const preset =
    flags.preset === undefined ? undefined : (oneOf('--preset', flags.preset, EVAL_PRESET_NAMES) as EvalPresetName);
  const concurrency =
    flags.concurrency === undefined ? defaultConcurrency(llmChoice) : int('--concurrency', flags.concurrency, 1, 1024);
  await withSession(flags, async (session) => {
    const client = session.temporal.client;
    let opened: OpenedEval;
    if (flags.evalId && !preset && !flags.env) {
      opened = await openExistingEval(client, flags.evalId); // `eval --eval-id X` alone continues X
    } else {
      const plan = await resolvePlan(
        {
          preset,
          env:
            flags.env === undefined
              ? undefined
              : oneOf('--env', flags.env, ['builtin', 'scienceworld', 'alfworld'] as const),
          tasks: flags.tasks
            ?.split(',')
            .map((t) => t.trim())
            .filter(Boolean),
          split: flags.split,
          perTask: flags.perTask === undefined ? undefined : int('--per-task', flags.perTask, 0),
          limit: flags.limit === undefined ? undefined : int('--limit', flags.limit, 0),
        },
        () => session.envs.serverUrl(),
      );
      const maxSteps =
        flags.maxSteps === undefined
          ? (plan.maxSteps ?? DEFAULT_MAX_STEPS)
          : int('--max-steps', flags.maxSteps, 1, MAX_STEPS_LIMIT);
      const prompts = parsePromptFlags(flags);
      const obs = prompts.obs ?? 'raw';
      const highLevelWindow = prompts.highLevelWindow ?? defaultHighLevelWindow(profile);
      const flagConfig: Partial<Omit<EpisodeConfig, 'spec'>> = {
        profile,
        maxSteps,
        repairAttempts: int('--repair-attempts', flags.repairAttempts, 0),
        // Recorded only when they differ from what episodes without them run (raw, all subtasks),
        // so the default eval id of a command whose prompts did not change stays the same.
        ...(obs !== 'raw' && { obs }),
        ...(highLevelWindow !== 0 && { highLevelWindow }),
      };
      const llmLabel = modelLabel(llmChoice);
      const shared = resolveSharedConfig(flagConfig);
      const input: EvalInput = {
        agent,
        selection: plan.selection,
        env: plan.env,
        ...(plan.split !== undefined && { split: plan.split }),
        model: llmLabel,
        // Complete, so a default changed later never reaches this eval's episodes.
        config: shared,
        plan: compactPlan(plan.episodes),
        concurrency,
      };
      const problems = configProblems({ ...shared, spec: plan.episodes[0]!.spec });
      if (problems.length > 0) throw new Error(`invalid episode config: ${problems.join('; ')}`);
      // From the flags, not the resolved config: the same command keeps its eval id across releases.
      const evalId = flags.evalId ?? defaultEvalId({ ...input, config: flagConfig }, llmLabel);
      opened = await startOrAttachEval(client, flags.rerun ? await freeRerunId(client, evalId) : evalId, input);
    }
    await followEval(session, opened, { ...flags, llm: llmChoice }, out);
  });
}

/** The first free `<evalId>.rerun-<n>` (n from 2), or `evalId` itself when it is free. */
async function freeRerunId(client: Client, evalId: string): Promise<string> {
  for (let n = 1; ; n++) {
    const id = n === 1 ? evalId : `${evalId}.rerun-${n}`;
    const exists = await client.workflow
      .getHandle(id)
      .describe()
      .then(() => true)
      .catch(() => false);
    if (!exists) return id;
  }
}

/** Runs a worker for `opened` (unless it finished), follows it to the end and writes its results. */
async function followEval(
  session: CliSession,
  opened: OpenedEval,
  flags: Pick<EvalFlags, 'llm' | 'modelPath' | 'llmSlots' | 'out' | 'json' | 'dataDir'>,
  out: Output,
): Promise<void> {
  const evalId = opened.handle.workflowId;
  const { input } = opened;
  const outDir = flags.out ?? evalOutputDir(session.dataDir, evalId);
  // A re-run after a killed process: the episodes it left running re-drive at once on this one.
  const released =
    opened.state === 'attached'
      ? releaseLostWork(session.temporal.client, [evalId], { releaseSessions: releaseGoneSessions })
      : undefined;
  const verb = {
    started: 'started',
    // A re-run after a killed process, or one more host serving a running eval: either way it joins.
    attached: 'joined (already running)',
    continued: 'continued (new run)',
    finished: 'already finished',
  }[opened.state];
  out.event(
    'eval-started',
    {
      evalId,
      state: opened.state,
      total: planEpisodes(input).length,
      agent: input.agent,
      selection: input.selection,
      concurrency: input.concurrency,
    },
    `eval ${out.bold(evalId)} ${verb}: ${input.selection}, ${planEpisodes(input).length} episodes, agent ${input.agent}, ` +
      `concurrency ${input.concurrency}`,
  );
  if (opened.state !== 'finished') {
    const specs = new Map<string, EnvSpec>(planEpisodes(input).map((e, i) => [evalEpisodeId(evalId, i), e.spec]));
    const llm = await session.llm(
      { ...flags, taskQueue: opened.taskQueue } as WorkerCliOptions,
      undefined,
      input.config.profile,
      (episodeId) => specs.get(episodeId),
    );
    out.line(`policy: ${llm.description}`);
    // Its own env queue, as every process: several processes may serve one eval (each episode's
    // session stays with the process that opened it).
    const worker = await session.worker({ ...flags, taskQueue: opened.taskQueue } as WorkerCliOptions, llm);
    await released;
    const view = createProgressView(out, Boolean(flags.json));
    const onSigint = (): void => {
      view.stop();
      out.line(`stopped; the eval continues when you run the same command again or \`step-hrl resume ${evalId}\``);
      process.exit(130);
    };
    process.on('SIGINT', onSigint);
    try {
      const finished = await worker.run(follow(session.temporal.client, evalId, view.update, out));
      if (!finished)
        throw new Error(
          `the worker stopped before eval ${evalId} finished; \`step-hrl resume ${evalId}\` continues it`,
        );
    } finally {
      process.off('SIGINT', onSigint);
      view.stop();
    }
  }
  // Per-episode outcomes live in the runs' histories, not in the eval's (bounded) result.
  const { results, cancelled } = await fetchEvalResults(session.temporal.client, evalId);
  await writeResults(results, outDir);
  printEvalSummary(results, cancelled, out, outDir);
}

/**
 * Follows the eval's progress (long-poll, see ./eval-follow.ts) until its result is in. A Temporal
 * server that is away (restarting) for less than the outage window is waited out, as `run` does.
 */
async function follow(
  client: Client,
  evalId: string,
  onProgress: (p: EvalProgress) => void,
  out: Output,
): Promise<EvalWorkflowResult> {
  const handle = client.workflow.getHandle<EvalWorkflow>(evalId);
  const windowMs = temporalOutageWindowMs();
  let finished = false;
  const resultPromise = retryWhileTemporalAway(() => handle.result(), {
    windowMs,
    onOutage: () =>
      out.line(`Temporal unreachable, retrying for up to ${Math.round(windowMs / 1000)} s (${TEMPORAL_OUTAGE_VAR})...`),
    onRecovered: () => out.line('Temporal reachable again; following the eval'),
  }).finally(() => (finished = true));
  const next = evalProgressFeed(client, evalId);
  const ended = resultPromise.then(
    () => undefined,
    () => undefined,
  );
  while (!finished) {
    const progress = await Promise.race([next(), ended]);
    if (progress && !finished) onProgress(progress);
  }
  const result = await resultPromise;
  onProgress(
    evalProgressOf(result.total, result.totals ?? totalsOf(result.outcomes ?? []), [], result.runs, result.cancelled),
  );
  return result;
}

function printEvalSummary(result: EvalResults, cancelled: boolean, out: Output, outDir: string): void {
  out.line(renderResultsTerminal(result));
  const hosts = hostsLine(result.outcomes);
  if (hosts) out.line(hosts);
  const { done: n, won, scoreSum } = totalsOf(result.outcomes);
  const meanScore = n ? scoreSum / n : 0;
  out.event(
    'eval-finished',
    { evalId: result.evalId, episodes: n, total: result.total, won, meanScore, cancelled, outDir },
    `eval ${result.evalId}: ${n}/${result.total} episodes, won ${won}, mean score ${meanScore.toFixed(2)}; results in ${outDir}`,
  );
}

function totalsOf(outcomes: readonly SlimOutcome[]): EvalTotals {
  return outcomes.reduce(addOutcome, NO_TOTALS);
}

/** True when `workflowId` is an evaluation (so `resume` continues it as one). */
export async function isEval(client: Client, workflowId: string): Promise<boolean> {
  const description = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch(() => undefined);
  return description?.type === 'evalWorkflow';
}

/** `step-hrl resume <eval-id>`: continues an evaluation in an open session. */
export async function resumeEval(
  session: CliSession,
  evalId: string,
  flags: Pick<EvalFlags, 'llm' | 'modelPath' | 'llmSlots' | 'json' | 'dataDir'>,
  out: Output,
): Promise<void> {
  const opened = await openExistingEval(session.temporal.client, evalId);
  await followEval(session, opened, { ...flags, llm: parseLlmChoice(flags.llm) }, out);
}

/** `step-hrl eval` (its subcommands register on it). */
export const evalCommand = withTemporalOptions(program.command('eval'), DATA_DIR_WITH_CACHE)
  .enablePositionalOptions()
  .description(
    'Evaluate a policy on a paper split (--preset) or a selection, as one durable workflow: bounded concurrency, ' +
      'live progress, results as JSON/CSV/markdown/PNG. Re-running the same command resumes it.',
  )
  .option('--preset <name>', `the paper's protocol: ${EVAL_PRESET_NAMES.join(' | ')}`)
  .option('--env <env>', 'or select: builtin | scienceworld | alfworld')
  .option('--tasks <list>', 'comma-separated ScienceWorld tasks, ALFWorld task types or built-in tasks (default: all)')
  .option('--split <split>', 'ScienceWorld train|dev|test, ALFWorld valid_seen|valid_unseen|train_sample')
  .option(
    '--per-task <n>',
    "ScienceWorld variations (built-in seeds) per task; 0 = all (default 10, presets the paper's count per task; built-in 1)",
  )
  .option('--limit <n>', 'at most this many episodes (the first in plan order)')
  .option('--agent <agent>', `agent: ${AGENT_KINDS.join(' | ')}`, 'step-hrl')
  .option('--llm <backend>', 'policy backend: auto | openai | local | expert (scripted)', 'auto')
  .option('--model-path <file>', 'GGUF file for the local model')
  .option('--llm-slots <n>', LLM_SLOTS_HELP)
  .option('--profile <profile>', 'prompt profile: chat | paper', 'chat')
  .option('--obs <format>', OBS_HELP)
  .option('--high-level-window <n>', HIGH_LEVEL_WINDOW_HELP)
  .option('--max-steps <n>', "env steps per episode (presets: 50, the paper's)")
  .option('--repair-attempts <n>', 'extra model calls to repair an unparseable reply', '2')
  .option('--concurrency <n>', 'episodes at once (default: expert 8, endpoint 32, local model 1)')
  .option('--eval-id <id>', 'id of the evaluation (default: derived from the command, so re-running it resumes)')
  .option('--rerun', 'play the evaluation again under a new id <eval-id>.rerun-<n> (e.g. from the response cache)')
  .option('--out <dir>', 'folder for the result files (default <data dir>/evals/<eval-id>)')
  .option('--json', 'print JSON lines instead of text')
  .action(action(async (flags) => runEval(flags as EvalFlags, createOutput(Boolean(flags.json)))));

withTemporalOptions(evalCommand.command('show'))
  .description("Print an evaluation's results (a running one: the episodes finished so far)")
  .argument('<eval-id>', 'id of the evaluation')
  .option('--follow', 'follow a running eval live from its workflow until it ends, then print its results')
  .option('--json', 'print the results as JSON')
  .action(
    action(async (evalId, flags) =>
      withSession(flags, async (session) => {
        const out = createOutput(Boolean(flags.json));
        const client = session.temporal.client;
        if (flags.follow) await followRunning(client, evalId, out, Boolean(flags.json));
        const { results, finished } = await fetchEvalResults(client, evalId);
        const state = finished
          ? 'finished'
          : `not finished: ${results.outcomes.length}/${results.total} episodes so far`;
        out.event('eval-results', { finished, results }, `${renderResultsTerminal(results)}\n${evalId}: ${state}`);
      }),
    ),
  );

/** `eval show --follow`: the live progress of a running eval (another process runs it) until it ends. */
async function followRunning(client: Client, evalId: string, out: Output, json: boolean): Promise<void> {
  const description = await client.workflow
    .getHandle(evalId)
    .describe()
    .catch(() => undefined);
  if (description?.status.name !== 'RUNNING') return; // ended (or no such eval: the results say so)
  const view = createProgressView(out, json);
  try {
    await follow(client, evalId, view.update, out).catch(() => undefined); // a failed eval: its results so far
  } finally {
    view.stop();
  }
}

withTemporalOptions(evalCommand.command('compare'))
  .description(
    'Put two evaluations side by side (e.g. step-hrl vs react on one split): score, success, tokens per step',
  )
  .argument('<eval-a>', 'id of the first evaluation')
  .argument('<eval-b>', 'id of the second evaluation')
  .option('--out <dir>', 'folder for compare.{json,md,png} (default <data dir>/evals/compare-<a>-vs-<b>)')
  .option('--json', 'print the comparison as JSON')
  .action(
    action(async (a, b, flags) =>
      withSession(flags, async (session) => {
        const out = createOutput(Boolean(flags.json));
        const [ra, rb] = await Promise.all([a, b].map((id) => fetchEvalResults(session.temporal.client, id)));
        const comparison = compareEvals(ra!.results, rb!.results);
        const dir = flags.out ?? evalOutputDir(session.dataDir, `compare-${a}-vs-${b}`);
        await writeComparison(ra!.results, rb!.results, dir);
        out.event('eval-compare', { comparison, outDir: dir }, `${renderCompareTerminal(comparison)}\nfiles in ${dir}`);
      }),
    ),
  );
