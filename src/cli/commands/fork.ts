/**
 * `step-hrl fork <id> --from-subtask k`: a new episode from the state before subtask k of a
 * recorded one: the env is re-driven through the shared prefix (observation-hash checked), then the
 * policy of this command's flags continues, with a worker in this process. The parent and the
 * range of k are checked before the model or the env server start.
 */
import type { Client } from '@temporalio/client';
import { forkEpisode } from '../../fork/fork';
import type { EpisodeConfig } from '../../agent/config';
import { fetchDecodedHistory } from '../../codec/history';
import { decode } from '../../history-payloads';
import { prefixState } from '../../resume';
import { agentByKind } from '../agents';
import { int, MAX_STEPS_LIMIT, oneOf } from '../episode-options';
import { followToEnd } from '../follow';
import { LLM_SLOTS_HELP } from '../llm-slots';
import { program } from '../program';
import { outputAction } from '../output-action';
import { processTaskQueue, withSession, type WorkerCliOptions } from '../session';
import { withTemporalOptions } from '../temporal';
import type { EpisodeInput } from '../../episode/records';

/** Flags of `fork` that change the continuing policy's settings (only those given override the parent's). */
interface ForkPolicyFlags {
  profile?: string;
  maxSteps?: string;
  maxSubtasks?: string;
  maxTokens?: string;
  repairAttempts?: string;
}

/** The overrides the flags ask for, checked. */
function policyOverrides(flags: ForkPolicyFlags): Partial<EpisodeConfig> {
  return {
    ...(flags.profile !== undefined && { profile: oneOf('--profile', flags.profile, ['chat', 'paper'] as const) }),
    ...(flags.maxSteps !== undefined && { maxSteps: int('--max-steps', flags.maxSteps, 1, MAX_STEPS_LIMIT) }),
    ...(flags.maxSubtasks !== undefined && { maxSubtasks: int('--max-subtasks', flags.maxSubtasks, 0) }),
    ...(flags.maxTokens !== undefined && { maxTokens: int('--max-tokens', flags.maxTokens, 0) }),
    ...(flags.repairAttempts !== undefined && { repairAttempts: int('--repair-attempts', flags.repairAttempts, 0) }),
  };
}

withTemporalOptions(program.command('fork'))
  .description(
    'Start a new episode from the state before subtask k (or at the subtask boundary at or before step n) of a ' +
      'recorded one, on this build: re-drive the env through the shared prefix, then continue with the policy given here',
  )
  .argument('<episode-id>', 'workflow id of the parent episode')
  .option('--from-subtask <k>', 'subtask number (as `show` numbers them, from 1) the fork decides anew')
  .option(
    '--from-step <n>',
    'or: keep at most n steps of the parent; the fork starts at the last subtask boundary at or before step n ' +
      '(forks start between subtasks only)',
  )
  .option('--id <fork-id>', 'workflow id of the fork (default: <episode-id>.fork-<k>-<n>)')
  .option('--llm <backend>', 'policy backend: auto | openai | local | expert', 'auto')
  .option('--model <name>', 'model of the OpenAI-compatible endpoint for every role (sets STEP_HRL_MODEL)')
  .option('--model-path <file>', 'GGUF file for the local model')
  .option('--llm-slots <n>', LLM_SLOTS_HELP)
  .option('--profile <profile>', "prompt profile: chat | paper (default: the parent's)")
  .option('--max-steps <n>', "environment steps in all, prefix included (default: the parent's)")
  .option('--max-subtasks <n>', "subtasks in all, prefix included, 0 = no cap (default: the parent's)")
  .option('--max-tokens <n>', "token budget, prefix included, 0 = no cap (default: the parent's)")
  .option('--repair-attempts <n>', "extra model calls to repair an unparseable reply (default: the parent's)")
  .option('--task-queue <queue>', 'Temporal task queue (default: one only this process polls)')
  .option('--json', 'print JSON lines instead of text')
  .action(
    outputAction(async (out, episodeId, flags) => {
      if ((flags.fromSubtask === undefined) === (flags.fromStep === undefined))
        throw new Error('pass one of --from-subtask <k> and --from-step <n>');
      const fromSubtask = flags.fromSubtask === undefined ? undefined : int('--from-subtask', flags.fromSubtask, 1);
      const fromStep = flags.fromStep === undefined ? undefined : int('--from-step', flags.fromStep, 0);
      const overrides = policyOverrides(flags);
      if (flags.model) process.env.STEP_HRL_MODEL = flags.model;
      const taskQueue = flags.taskQueue ?? processTaskQueue();
      await withSession(flags, async (session) => {
        const client = session.temporal.client;
        const input = await forkableInput(client, episodeId, fromSubtask ?? 1); // every n has a boundary
        const profile = overrides.profile ?? input.config.profile;
        const cliFlags = { ...(flags as unknown as WorkerCliOptions), taskQueue };
        const llm = await session.llm(cliFlags, input.config.spec, profile);
        const worker = await session.worker(cliFlags, llm);
        await followToEnd({
          client,
          worker,
          agent: agentByKind('step-hrl'),
          out,
          async start() {
            const fork = await forkEpisode(client, {
              episodeId,
              fromSubtask,
              fromStep,
              forkId: flags.id,
              taskQueue,
              config: overrides,
            });
            const forkId = fork.handle.workflowId;
            out.event(
              'started',
              { episodeId: forkId, forkOf: fork.forkOf },
              `fork ${out.bold(forkId)} of ${episodeId} from subtask ${fork.fromSubtask}: re-driving ` +
                `${fork.prefixSteps} recorded steps, then policy: ${llm.description}`,
            );
            return fork.handle;
          },
        });
      });
    }),
  );

/**
 * The parent's recorded input, once the parent exists, is a STEP-HRL episode and has finished the
 * subtasks before `fromSubtask` (the same rule `forkEpisode` applies when it starts the fork, asked
 * here before anything starts). @throws naming the id or the valid range
 */
async function forkableInput(client: Client, episodeId: string, fromSubtask: number): Promise<EpisodeInput> {
  const events =
    (
      await fetchDecodedHistory(client, episodeId).catch(() => {
        throw new Error(`no episode with id ${JSON.stringify(episodeId)} to fork; check the id and --data-dir`);
      })
    ).events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  const input = decode<EpisodeInput>(started?.input);
  const type = started?.workflowType?.name;
  if (type !== 'episodeWorkflow' || !input?.config)
    throw new Error(
      `${JSON.stringify(episodeId)} is a ${type ?? 'workflow'} without subtasks: only a STEP-HRL episode can be forked`,
    );
  const finished = prefixState(events, input.state, '')?.subtasks.length ?? input.state?.subtasks.length ?? 0;
  if (fromSubtask - 1 > finished)
    throw new Error(
      `episode ${episodeId} finished ${finished} subtasks, so it has no state before subtask ${fromSubtask}; ` +
        `pass --from-subtask from 1 to ${finished + 1}`,
    );
  return input;
}
