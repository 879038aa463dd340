/**
 * Finds every recorded history of an episode or eval: each run of the root id (continue-as-new
 * runs, and the runs a `resume` continued from), and recursively every child run (subtask parts,
 * eval episodes and their children). Children are read by the exact run id their parent recorded,
 * so two runs that reused one id never mix.
 */
import type { HistorySource, History } from '../history-source';
import { eventTimeMs, type HistoryEvent } from '../history-payloads';

/** One workflow run's history and where it belongs. */
export interface RecordedHistory {
  workflowId: string;
  runId: string;
  workflowType: string;
  /** The workflow that started this one as a child (absent for the root's runs). */
  parentWorkflowId?: string;
  history: History;
}

/** A run the record points at whose history could not be read (past retention, or not archived). */
export interface MissingHistory {
  workflowId: string;
  runId?: string;
  /** Who points at it. */
  referencedBy?: string;
}

/** Everything {@link collectHistories} found. */
export interface CollectedHistories {
  rootId: string;
  histories: RecordedHistory[];
  missing: MissingHistory[];
}

/** The run ids a run's events point at: the run it continued, the run it continued as, its children. */
function linksOf(events: HistoryEvent[]): {
  continued?: string;
  next?: string;
  children: { workflowId: string; runId: string }[];
} {
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  const children: { workflowId: string; runId: string }[] = [];
  let next: string | undefined;
  for (const event of events) {
    const child = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
    if (child?.workflowId && child.runId) children.push({ workflowId: child.workflowId, runId: child.runId });
    next = event.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId || next;
  }
  return { continued: started?.continuedExecutionRunId || undefined, next, children };
}

/** The run a `resume` started this run from (`state.resumedFrom` in its input), if any. */
function resumedFromRunId(events: HistoryEvent[], source: HistorySource): string | undefined {
  const payload = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return undefined;
  try {
    const input = source.payloadConverter.fromPayload(payload) as {
      state?: { resumedFrom?: { runId?: string; episodeId?: string } };
    };
    const from = input?.state?.resumedFrom;
    // A fork's prefix lives in another episode: its histories belong to that episode, not this one.
    return from?.runId && !from.episodeId ? from.runId : undefined;
  } catch {
    return undefined; // an input this code cannot read has no resume link we could follow
  }
}

/** Collects every history of `rootId` (its latest run and everything linked from it). */
export async function collectHistories(source: HistorySource, rootId: string): Promise<CollectedHistories> {
  const histories: RecordedHistory[] = [];
  const missing: MissingHistory[] = [];
  const seen = new Set<string>();

  const visit = async (workflowId: string, runId: string | undefined, referencedBy?: string, parent?: string) => {
    if (runId && seen.has(`${workflowId}\n${runId}`)) return;
    const history = await source.fetch(workflowId, runId);
    if (!history) {
      missing.push({ workflowId, ...(runId && { runId }), ...(referencedBy && { referencedBy }) });
      return;
    }
    const events = history.events ?? [];
    const started = events[0]?.workflowExecutionStartedEventAttributes;
    const ownRunId = started?.originalExecutionRunId || runId || '';
    const key = `${workflowId}\n${ownRunId}`;
    if (seen.has(key)) return;
    seen.add(key);
    histories.push({
      workflowId,
      runId: ownRunId,
      workflowType: started?.workflowType?.name ?? '',
      ...(parent && { parentWorkflowId: parent }),
      history,
    });
    const links = linksOf(events);
    const here = `${workflowId} run ${ownRunId}`;
    if (links.continued) await visit(workflowId, links.continued, here, parent);
    if (links.next) await visit(workflowId, links.next, here, parent);
    const resumedFrom = resumedFromRunId(events, source);
    if (resumedFrom) await visit(workflowId, resumedFrom, here, parent);
    for (const child of links.children) await visit(child.workflowId, child.runId, here, workflowId);
  };

  await visit(rootId, undefined);
  histories.sort((a, b) => startTime(a) - startTime(b));
  return { rootId, histories, missing };
}

/** Start time of a run in ms (0 when unknown), to list runs in the order they ran. */
function startTime(h: RecordedHistory): number {
  const first = h.history.events?.[0];
  return first ? eventTimeMs(first) : 0;
}
