/**
 * `step-hrl replay <id>`: replays every recorded history of an episode or eval (each run, each
 * subtask child and part, each eval episode) against this step-hrl's workflow code, with no LLM or
 * env call, and names the first history and event that no longer replay. Exit 1 on any failure.
 */
import { bundleWorkflows } from '../../worker';
import { collectHistories } from '../../replay/collect';
import { replayRecorded, type ReplayReport } from '../../replay/replay';
import { isArchiveDir, readArchiveManifest } from '../../archive/manifest';
import { historySourceFor } from '../history-flags';
import type { Output } from '../output';
import { installQuietRuntime } from '../process-setup';
import { program } from '../program';
import { outputAction } from '../output-action';
import { withTemporalOptions, type TemporalCliOptions } from '../temporal';

/** Prints a replay report: one line per history, then the first divergence. */
export function printReplayReport(report: ReplayReport, out: Output): void {
  for (const r of report.results) {
    out.event(
      'history',
      { ...r },
      `${r.ok ? 'pass' : 'FAIL'}  ${r.workflowId}  run ${r.runId}  (${r.workflowType})${r.ok ? '' : `: ${r.error}`}`,
    );
  }
  for (const m of report.missing)
    out.event(
      'missing',
      { ...m },
      `MISSING  ${m.workflowId}${m.runId ? `  run ${m.runId}` : ''}: no history (past retention?)` +
        (m.referencedBy ? `, referenced by ${m.referencedBy}` : ''),
    );
  const d = report.divergence;
  if (d)
    out.event(
      'divergence',
      { ...d },
      `nondeterminism: ${d.workflowType} ${d.workflowId} run ${d.runId} diverged at event ${d.eventId} ` +
        `(${d.eventType}): ${d.detail}`,
    );
  const failed = report.results.filter((r) => !r.ok).length + report.missing.length;
  out.event(
    'summary',
    { histories: report.results.length, failed, ok: report.ok },
    `${report.results.length} histories replayed, ${failed} failed`,
  );
}

withTemporalOptions(program.command('replay'))
  .description(
    'Replay the recorded histories of an episode or eval against the current workflow code (no LLM or env ' +
      'call); report the first nondeterminism',
  )
  .argument('[id]', 'episode or eval id, or the folder of an archive bundle (`step-hrl archive`)')
  .option('--archive <dir>', 'read the histories from an archive bundle instead of Temporal')
  .option('--json', 'print JSON lines instead of text')
  .action(
    outputAction(async (out, idArg, flags) => {
      // A path to a bundle in place of the id reads that bundle's root.
      const archive = flags.archive ?? (idArg && isArchiveDir(idArg) ? idArg : undefined);
      if (!idArg && !archive) throw new Error('pass an episode or eval id, or --archive <dir> of an archive bundle');
      installQuietRuntime(); // the replay worker logs at the runtime's level: only errors
      const opened = await historySourceFor({ ...(flags as TemporalCliOptions), archive });
      let report: ReplayReport;
      try {
        const id = idArg && idArg !== archive ? idArg : readArchiveManifest(archive!).rootId;
        const collected = await collectHistories(opened.source, id);
        if (collected.histories.length === 0)
          throw new Error(
            `no recorded history for ${JSON.stringify(id)}; check the id` +
              (archive ? ` (archive ${archive})` : ', --data-dir and --port'),
          );
        out.line(`replaying ${collected.histories.length} histories of ${id}`);
        report = await replayRecorded(collected.histories, await bundleWorkflows(), collected.missing);
      } finally {
        await opened.close();
      }
      printReplayReport(report, out);
      if (!report.ok) process.exitCode = 1;
    }),
  );
