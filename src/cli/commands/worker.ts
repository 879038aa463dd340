/**
 * `step-hrl worker` and `step-hrl resume`: a long-lived worker, or a worker that finishes one
 * existing episode (after a crash, Ctrl-C, a failure or a terminate) and prints it live from where
 * it stopped. `resume` of an episode that already finished says so and exits 0 (1 when it ended
 * `llm-error`/`env-error`), before anything else starts, so a recovery script can run it blindly.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { Client, WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import { DEFAULT_TASK_QUEUE } from '../../worker';
import { decodeHistoryPayloads } from '../../codec/history';
import { PayloadDecryptionError } from '../../codec/aes-gcm-codec';
import { currentEnvLease, resumeEpisode } from '../../resume';
import { isLeaseGone, releaseLostWork } from '../../lost-worker';
import { releaseGoneSessions } from '../../envs/env-server';
import { isEval, resumeEval } from './eval';
import { agentOfWorkflowType, type CliAgent } from '../agents';
import { failOnErrorStatus, type EndedEpisode } from '../episode-view';
import { followToEnd } from '../follow';
import { LLM_SLOTS_HELP } from '../llm-slots';
import { createOutput, type Output } from '../output';
import { action, program } from '../program';
import { withSession, type WorkerCliOptions } from '../session';
import { DATA_DIR_WITH_CACHE, withTemporalOptions } from '../temporal';
import type { EpisodeInput } from '../../episode/records';

/** The input an episode was started with, read from the first event of its history. */
async function episodeInput(client: Client, episodeId: string): Promise<EpisodeInput> {
  const history = await client.workflow
    .getHandle(episodeId)
    .fetchHistory()
    .catch(() => {
      throw new Error(`no episode with id ${JSON.stringify(episodeId)}; check the id and --data-dir`);
    })
    .then((raw) => decodeHistoryPayloads(raw, client.options.loadedDataConverter.payloadCodecs));
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload)
    throw new Error(`episode ${JSON.stringify(episodeId)} has no recorded input; is it a step-hrl episode?`);
  return defaultPayloadConverter.fromPayload(payload) as EpisodeInput;
}

const LLM_HELP = 'policy backend: auto (OpenAI-compatible when configured, else local) | openai | local';

withTemporalOptions(program.command('worker'), DATA_DIR_WITH_CACHE)
  .description('Run a step-hrl worker (workflows, policy and env activities) until Ctrl-C')
  .option('--llm <backend>', LLM_HELP, 'auto')
  .option('--model-path <file>', 'GGUF file for the local model')
  .option('--llm-slots <n>', LLM_SLOTS_HELP)
  .option('--task-queue <queue>', 'Temporal task queue', DEFAULT_TASK_QUEUE)
  .option(
    '--worker-id <label>',
    'a label shown in the env queue name (letters, digits, - and _); each process gets its own queue anyway',
  )
  .action(
    action(async (flags) =>
      withSession(flags, async (session) => {
        const llm = await session.llm(flags as WorkerCliOptions);
        const worker = await session.worker(flags as WorkerCliOptions, llm, flags.workerId);
        console.log(
          `worker on ${flags.taskQueue} (env queue ${worker.envQueue}); policy: ${llm.description}; ` +
            'Ctrl-C or SIGTERM drains (a second one stops)',
        );
        // A deploy's SIGTERM drains: no new episodes, open env sessions served until closed (≤ 60 s).
        let draining = false;
        const stop = (): void => {
          if (draining) return worker.shutdown();
          draining = true;
          void worker.drain();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        await worker.run();
      }),
    ),
  );

withTemporalOptions(program.command('resume'), DATA_DIR_WITH_CACHE)
  .description(
    'Finish an interrupted episode with a worker in this process: a running one where it stopped, a failed or ' +
      'terminated one as a new run from its recorded prefix (the env is re-driven through it)',
  )
  .argument('<episode-id>', 'workflow id of the episode (or of an evaluation: it continues where it stopped)')
  .option('--llm <backend>', `${LLM_HELP} | expert`, 'auto')
  .option('--model-path <file>', 'GGUF file for the local model')
  .option('--llm-slots <n>', LLM_SLOTS_HELP)
  .option('--json', 'print JSON lines instead of text')
  .action(
    action(async (episodeId, flags) =>
      withSession(flags, async (session) => {
        const out = createOutput(Boolean(flags.json));
        const client = session.temporal.client;
        if (await isEval(client, episodeId)) return resumeEval(session, episodeId, flags, out);
        const handle = client.workflow.getHandle(episodeId);
        const description = await describeEpisode(handle, episodeId);
        const agent = agentOfWorkflowType(description.type);
        if (description.status.name === 'COMPLETED') return reportFinished(agent, handle, out);
        // A running episode whose env worker process is gone: its started work is declared lost at
        // once (env calls answer SessionLost, so it re-drives here) while this process starts up, and
        // this worker fences the dead env queue (a call sent there later is answered SessionLost).
        const recovery =
          description.status.name === 'RUNNING'
            ? currentEnvLease(client, episodeId).then(async (lease) => {
                const knownIdentities = lease?.identity ? [lease.identity] : [];
                await releaseLostWork(client, [episodeId], { knownIdentities, releaseSessions: releaseGoneSessions });
                return lease && isLeaseGone(lease) ? [lease.envQueue] : [];
              })
            : Promise.resolve([]);
        recovery.catch(() => undefined); // awaited below
        const input = await episodeInput(client, episodeId);
        session.envs.warm(input.config.spec); // its env session is opened again at once: start the server now
        const llm = await session.llm(flags as WorkerCliOptions, input.config.spec, input.config.profile);
        const resumed = await resumeEpisode(client, episodeId);
        const fence = resumed.started ? [] : await recovery;
        const worker = await session.worker(
          { ...(flags as WorkerCliOptions), taskQueue: resumed.taskQueue },
          llm,
          undefined,
          fence,
        );
        out.line(
          resumed.started
            ? `resuming ${episodeId} as a new run from its recorded prefix (${resumed.prefixSubtasks} subtasks kept); policy: ${llm.description}`
            : `resuming ${episodeId}; policy: ${llm.description}`,
        );
        // A running episode of either kind: the worker finishes it (re-driving its env session if lost).
        await followToEnd({ client, worker, agent, out, start: async () => resumed.handle });
      }),
    ),
  );

/** The episode's description. @throws naming the id when there is none */
async function describeEpisode(handle: WorkflowHandle, episodeId: string): Promise<WorkflowExecutionDescription> {
  return handle.describe().catch((err: unknown) => {
    if (err instanceof PayloadDecryptionError) throw err;
    throw new Error(`no episode with id ${JSON.stringify(episodeId)}; check the id and --data-dir`);
  });
}

/**
 * `resume` of an episode that already ended: nothing to do. Says so with its summary; exit 0, or 1
 * when it ended `llm-error`/`env-error` (as `run` does), so done and failed stay apart.
 */
async function reportFinished(agent: CliAgent, handle: WorkflowHandle, out: Output): Promise<void> {
  const result = (await handle.result()) as EndedEpisode;
  out.event(
    'finished',
    { episodeId: handle.workflowId, status: result.status },
    `episode ${handle.workflowId} already finished (${result.status ?? 'completed'}); nothing to resume ` +
      `(\`step-hrl show ${handle.workflowId}\` prints it)`,
  );
  agent.printSummary(result, out);
  failOnErrorStatus(result);
}
