/**
 * The one way `run`, `demo`, `resume` and `fork` play an episode of either agent kind to its end
 * with the worker in this process: start it, print it live (the agent's view), say when Temporal
 * or something the episode waits on is away and when it is back, and end with its summary.
 *
 * - Temporal away: one line within a couple of seconds, one when it answers again; an outage longer
 *   than STEP_HRL_TEMPORAL_OUTAGE_SECONDS ends the command then (exit 1), naming `resume`.
 * - Model endpoint or env server not answering, or a lost env session re-driven: one line when it
 *   begins and one when it ends (`fault-watch.ts`).
 * - Ctrl-C stops this process and leaves the episode open, as a crash would: `step-hrl resume <id>`
 *   continues it (exit 130). A second Ctrl-C quits at once. To end an episode for good, `step-hrl
 *   cancel <id>` while a `run`/`resume`/`worker` runs it (that `run` then prints its summary, `cancelled`).
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { StepHrlWorker } from '../worker';
import type { CliAgent } from './agents';
import { failOnErrorStatus, type EndedEpisode } from './episode-view';
import { describeWorkflowFailure } from './failure';
import { watchFaults, type FaultWatch } from './fault-watch';
import type { Output } from './output';
import { ExitNow } from './exit-now';
import { temporalOutageWindowMs, watchTemporal, type TemporalWatch } from './temporal-outage';

/** Exit code of a command stopped by Ctrl-C (the shell's 128 + SIGINT). */
export const INTERRUPTED_EXIT_CODE = 130;

/** How long a stopping command waits for its worker to let go of in-flight calls. */
const STOP_WAIT_MS = 5000;

const STOPPED = Symbol('stopped');

/** What {@link followToEnd} needs. */
export interface FollowToEndOptions {
  client: Client;
  worker: StepHrlWorker;
  agent: CliAgent;
  out: Output;
  /** Starts the episode (or returns the running one); called while the worker runs. */
  start: () => Promise<WorkflowHandle>;
}

/**
 * Runs the worker while `start`ing and following the episode; prints its summary and throws
 * (exit 1) when it ended `llm-error`/`env-error`. See the module comment for outages and Ctrl-C.
 */
export async function followToEnd(options: FollowToEndOptions): Promise<void> {
  const { client, worker, agent, out } = options;
  const windowMs = temporalOutageWindowMs(); // a bad value fails before anything starts
  let episodeId: string | undefined;
  const interrupt = onInterrupt(out, () => episodeId);
  let temporal: TemporalWatch | undefined;
  let faults: FaultWatch | undefined;
  const say = (line: string): void => out.line(line);

  const follow = async (): Promise<EndedEpisode | typeof STOPPED> => {
    const handle = await options.start();
    const id = (episodeId = handle.workflowId);
    temporal = watchTemporal(
      (deadline) => client.connection.withDeadline(deadline, () => client.workflowService.getSystemInfo({})),
      { windowMs, say, resumeHint: `\`step-hrl resume ${id}\`` },
    );
    const away = temporal.away;
    faults = watchFaults(client, id, say, away);
    const result = agent.follow(client, handle, out).catch((err: unknown) => {
      throw episodeFailure(id, err);
    });
    return Promise.race([result, temporal.expired, interrupt.stopped]);
  };

  try {
    const following = follow();
    const running = worker.run(following);
    const ended = await following.then(
      async (value) => (value === STOPPED ? value : await running),
      async (err: unknown) => {
        // Temporal gone for good: the worker cannot shut down cleanly without it; do not wait on it.
        if (err instanceof ExitNow) throw err;
        return running;
      },
    );
    if (ended === STOPPED) {
      await Promise.race([running.catch(() => undefined), new Promise((r) => setTimeout(r, STOP_WAIT_MS))]);
      throw new ExitNow(INTERRUPTED_EXIT_CODE);
    }
    if (ended) {
      faults?.ended();
      agent.printSummary(ended, out);
      failOnErrorStatus(ended);
    }
  } finally {
    interrupt.dispose();
    temporal?.stop();
    faults?.stop();
  }
}

/** The error a command reports when the episode it followed failed: its cause in one line. */
export function episodeFailure(episodeId: string, err: unknown): unknown {
  const cause = describeWorkflowFailure(err);
  return cause ? new Error(`episode ${episodeId} failed: ${cause}`) : err;
}

/**
 * Ctrl-C while following: the first press resolves `stopped` (the command stops, the episode stays
 * open) after one line saying how to continue it; a second press, or one before the episode has an
 * id, exits at once.
 */
function onInterrupt(
  out: Output,
  episodeId: () => string | undefined,
): { stopped: Promise<typeof STOPPED>; dispose(): void } {
  let presses = 0;
  let stop: (value: typeof STOPPED) => void = () => undefined;
  const stopped = new Promise<typeof STOPPED>((resolve) => (stop = resolve));
  const handler = (): void => {
    presses += 1;
    const id = episodeId();
    if (presses > 1 || !id) process.exit(INTERRUPTED_EXIT_CODE);
    out.line(`stopping: episode ${id} stays open; \`step-hrl resume ${id}\` continues it (Ctrl-C again quits at once)`);
    stop(STOPPED);
  };
  process.on('SIGINT', handler);
  return { stopped, dispose: () => process.off('SIGINT', handler) };
}
