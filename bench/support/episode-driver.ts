/**
 * Runs many episode workflows with bounded concurrency. The bench talks to the
 * {@link EpisodeDriver} interface only, so a driver backed by the evaluation workflow (which
 * starts episodes as children with bounded concurrency) can replace {@link ClientSideDriver}
 * without touching the measurements: it would start one evaluation over the jobs' `episode`
 * data with the given concurrency and map its per-episode results back to {@link JobOutcome}s.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { StartEpisodeOptions } from '../../src/client';
import { fetchEvalResults, startOrAttachEval } from '../../src/eval/client';
import type { EvalInput } from '../../src/workflows/eval';

/** One workflow to run: its id and how to start it. */
export interface EpisodeJob {
  workflowId: string;
  start(): Promise<WorkflowHandle>;
  /** For a STEP-HRL episode: what it runs (lets a driver start it another way, e.g. as an eval's child). */
  episode?: StartEpisodeOptions;
}

/** How one job ended. */
export interface JobOutcome {
  workflowId: string;
  ok: boolean;
  /** The workflow's result when ok. */
  result?: unknown;
  error?: string;
  /** From start to end of this job. */
  ms: number;
}

/** What a drive produced: outcomes in job order and the wall time from first start to last end. */
export interface DriveResult {
  outcomes: JobOutcome[];
  wallMs: number;
}

/** Runs jobs keeping at most `concurrency` running at once. */
export interface EpisodeDriver {
  run(jobs: readonly EpisodeJob[], concurrency: number): Promise<DriveResult>;
}

/** Starts jobs from this process, starting the next as soon as one ends. */
export class ClientSideDriver implements EpisodeDriver {
  async run(jobs: readonly EpisodeJob[], concurrency: number): Promise<DriveResult> {
    if (!(concurrency >= 1)) throw new Error(`concurrency must be at least 1, got ${concurrency}`);
    const outcomes: JobOutcome[] = new Array(jobs.length);
    let next = 0;
    const t0 = Date.now();
    const lane = async (): Promise<void> => {
      while (next < jobs.length) {
        const i = next++;
        const job = jobs[i]!;
        const started = Date.now();
        try {
          const result: unknown = await (await job.start()).result();
          outcomes[i] = { workflowId: job.workflowId, ok: true, result, ms: Date.now() - started };
        } catch (err) {
          outcomes[i] = {
            workflowId: job.workflowId,
            ok: false,
            error: (err as Error).message,
            ms: Date.now() - started,
          };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, lane));
    return { outcomes, wallMs: Date.now() - t0 };
  }
}

/**
 * Runs the STEP-HRL jobs as ONE evaluation (`evalWorkflow`, the way `step-hrl eval` runs them):
 * its children are the episodes, at most `concurrency` at a time. Jobs without episode data (the
 * no-op floor) are run by {@link ClientSideDriver}. Per-episode times come from the children's
 * start and close times.
 */
export class EvalWorkflowDriver implements EpisodeDriver {
  constructor(private readonly client: Client) {}

  async run(jobs: readonly EpisodeJob[], concurrency: number): Promise<DriveResult> {
    if (jobs.some((j) => !j.episode)) return new ClientSideDriver().run(jobs, concurrency);
    const first = jobs[0]!.episode!;
    const { spec: _spec, ...config } = first.config;
    const evalId = `${jobs[0]!.workflowId}-eval`;
    const input: EvalInput = {
      agent: 'step-hrl',
      selection: 'throughput bench',
      env: first.config.spec.env,
      config,
      episodes: jobs.map((j) => ({ spec: j.episode!.config.spec, group: j.episode!.config.spec.task })),
      concurrency,
    };
    const t0 = Date.now();
    const opened = await startOrAttachEval(this.client, evalId, input, first.taskQueue);
    await opened.handle.result();
    const wallMs = Date.now() - t0;
    const { results } = await fetchEvalResults(this.client, evalId);
    const outcomes = await Promise.all(
      results.outcomes.map(async (o): Promise<JobOutcome> => {
        const info = await this.client.workflow.getHandle(o.episodeId).describe();
        const ms = (info.closeTime?.getTime() ?? Date.now()) - info.startTime.getTime();
        const ok = o.status !== 'failed';
        return { workflowId: o.episodeId, ok, ms, ...(ok ? { result: o } : { error: o.error }) };
      }),
    );
    return { outcomes, wallMs };
  }
}
