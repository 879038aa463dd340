/**
 * The one thing `run`, `resume`, `fork` and `show` ask of an agent kind: what truly differs between
 * STEP-HRL and the ReAct baseline (the workflow it starts, how its live view prints a step, its
 * summary, what `show` prints of it). Everything else (flags, id rules, the in-process worker,
 * outage and fault lines, Ctrl-C, exit codes) is one path for both (`follow.ts`, `commands/*`).
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ArchivedRun } from '../archive/read';
import { startEpisode, startEpisodeRerun, startReact, type StartEpisodeOptions } from '../client';
import { REACT_AGENT, STEP_HRL_AGENT, type EpisodeAgent } from '../episode/agent-kind';
import { AGENT_KINDS } from '../episode/eval-types';
import type { HistorySource } from '../history-source';
import { printEpisodeSummary, showArchivedStepHrlEpisode, showStepHrlEpisode, type EndedEpisode } from './episode-view';
import { followEpisode } from './live';
import type { Output } from './output';
import { followReact, printReactSummary, showReactEpisode } from './react-view';
import type { EpisodeResult, ReactResult } from '../episode/records';
import { readReactRecord } from '../react-record';

/** An agent kind as the CLI runs and shows it: the core's {@link EpisodeAgent} plus what it prints. */
export interface CliAgent<R extends EndedEpisode = EndedEpisode> extends EpisodeAgent<R> {
  /** How `run` names what it started ("episode", "react episode"). */
  noun: string;
  /** Added to `run`'s `policy:` line. */
  policyNote: string;
  /** Starts an episode (`rerun`: under the first free `<id>.rerun-<n>` when the id is taken). */
  start(client: Client, options: StartEpisodeOptions, rerun: boolean): Promise<WorkflowHandle>;
  /** Prints the episode live until it ends; returns its result. */
  follow(client: Client, handle: WorkflowHandle, out: Output): Promise<R>;
  printSummary(result: R, out: Output): void;
  /** `show` of a stored episode whose status line is printed; `step`: `--step N`. */
  show(client: Client, handle: WorkflowHandle, status: string, out: Output, view: ShowView): Promise<void>;
  /** `show --archive` of an archived run. */
  showArchived(source: HistorySource, run: ArchivedRun, episodeId: string, out: Output, view: ShowView): Promise<void>;
}

/** What `show` was asked for. */
export interface ShowView {
  json: boolean;
  step?: number;
}

const STEP_HRL: CliAgent<EpisodeResult> = {
  ...STEP_HRL_AGENT,
  noun: 'episode',
  policyNote: '',
  start: (client, options, rerun) => (rerun ? startEpisodeRerun(client, options) : startEpisode(client, options)),
  follow: (client, handle, out) => followEpisode(client, handle as WorkflowHandle<never>, out),
  printSummary: printEpisodeSummary,
  show: (client, handle, status, out, view) => showStepHrlEpisode(client, handle, status, out, view.step),
  showArchived: (source, run, episodeId, out, view) =>
    showArchivedStepHrlEpisode(source, run, episodeId, out, view.step),
};

const REACT: CliAgent<ReactResult> = {
  ...REACT_AGENT,
  noun: 'react episode',
  policyNote: ' (agent: react, full-history baseline)',
  start: (client, options, rerun) =>
    rerun ? startEpisodeRerun(client, options, startReact) : startReact(client, options),
  follow: (_client, handle, out) => followReact(handle, out),
  printSummary: printReactSummary,
  async show(client, handle, status, out, view) {
    if (view.step !== undefined) throw reactStepError(handle.workflowId);
    await showReactEpisode(client, handle, status, out, view.json);
  },
  async showArchived(source, run, episodeId, out, view) {
    if (view.step !== undefined) throw reactStepError(episodeId);
    // The result holds the last run's steps; every run's are read across the archived chain.
    const { steps } = await readReactRecord(source, episodeId);
    const result = { ...(run.result as object), ...(steps.length > 0 && { steps }) };
    out.event('result', result, JSON.stringify(result));
  },
};

const AGENTS: readonly CliAgent[] = [STEP_HRL, REACT];

function reactStepError(episodeId: string): Error {
  return new Error(`--step: episode ${episodeId} is a ReAct baseline episode; its steps are in plain \`show\``);
}

/** The agent of an `--agent` value. @throws naming the flag and the choices */
export function agentByKind(agent = 'step-hrl'): CliAgent {
  const found = AGENTS.find((a) => a.kind === agent);
  if (!found)
    throw new Error(`--agent ${JSON.stringify(agent)} is not valid; choose one of: ${AGENT_KINDS.join(', ')}`);
  return found;
}

/** The agent whose workflow `type` is (a workflow of another type is read as a STEP-HRL episode). */
export function agentOfWorkflowType(type: string | undefined): CliAgent {
  return AGENTS.find((a) => a.workflowType === type) ?? STEP_HRL;
}
