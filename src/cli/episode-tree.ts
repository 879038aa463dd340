/**
 * `show <id>`'s main view: an episode as a subtask → step tree, one episode however many workflow
 * runs, subtask parts and re-drives it took, with a marker line where one of those happened.
 * Pure (record in, lines or events out), so the CLI prints it and tests read it the same way.
 */
import { callTokens, transitionTokens } from '../agent/record-tokens';
import type { HighLevelTransition, RecordedTransition } from '../agent/records';
import type { EpisodeRecord, RecordMarker, RecordedPart } from '../episode-record';

/** One line of the tree, with the structured event `--json` prints for it. */
export interface TreeLine {
  type: 'subtask' | 'marker' | 'transition';
  data: Record<string, unknown>;
  text: string;
}

/** The episode's tree: a header per subtask, its steps, and the markers between parts. */
export function episodeTree(record: EpisodeRecord): TreeLine[] {
  const lines: TreeLine[] = [];
  const highByIndex = new Map(record.highLevel.map((h) => [h.subtaskIndex, h]));
  let previous: RecordedPart | undefined;
  for (const part of record.parts) {
    // A run boundary or re-drive before a subtask's first part happened before it was issued.
    for (const marker of part.markersBefore) lines.push(markerLine(marker, part));
    if (previous?.subtaskIndex !== part.subtaskIndex) {
      const high = highByIndex.get(part.subtaskIndex);
      if (high) lines.push(subtaskLine(high, record.highLevel.length));
    }
    if (part.part > 0) lines.push(markerLine({ kind: 'part', part: part.part }, part));
    for (const tr of part.outcome.transitions as RecordedTransition[]) lines.push(stepLine(tr));
    if (part.outcome.transitions.length === 0) lines.push(noStepsLine(part));
    previous = part;
  }
  return lines;
}

function subtaskLine(high: HighLevelTransition, count: number): TreeLine {
  const first = high.firstStep + 1;
  const range =
    high.steps === 0 ? 'no steps' : high.steps === 1 ? `step ${first}` : `steps ${first}-${first + high.steps - 1}`;
  const call = high.call
    ? `high-level tokens ${callTokens(high.call)}`
    : 'high-level call not stored (recorded before v2)';
  const { call: _omitted, ...summary } = high;
  return {
    type: 'subtask',
    data: { ...summary, highLevelTokens: high.call ? callTokens(high.call) : null },
    text:
      `subtask ${high.subtaskIndex + 1}/${count}: ${JSON.stringify(high.subtask)}  ` +
      `[${high.status}] ${range}, return ${high.return.reward} (score ${signed(high.return.scoreDelta)}), ${call}`,
  };
}

/** A marker, or the start of a subtask's next part (no event of its own in the record). */
type TreeMarker = RecordMarker | { kind: 'part'; part: number };

function markerLine(marker: TreeMarker, part: RecordedPart): TreeLine {
  const beforeStep = part.input.stepIndex + 1;
  const text =
    marker.kind === 'continued-as-new'
      ? `workflow run ${marker.run} (continued as new)`
      : marker.kind === 'resumed'
        ? `resumed from the recorded prefix of run ${marker.fromRunId}`
        : marker.kind === 'redrive'
          ? 'env session lost: re-driven through the recorded actions'
          : `part ${marker.part + 1} of subtask ${part.subtaskIndex + 1}`;
  return { type: 'marker', data: { ...marker, subtaskIndex: part.subtaskIndex, beforeStep }, text: `  -- ${text} --` };
}

function stepLine(tr: RecordedTransition): TreeLine {
  const flags = [
    tr.subtaskDone && 'subtask done',
    tr.invalid && 'invalid reply',
    tr.done && (tr.won ? 'won' : 'env done'),
  ]
    .filter(Boolean)
    .join(', ');
  return {
    type: 'transition',
    data: { ...tr },
    text:
      `  step ${String(tr.stepIndex + 1).padEnd(4)} ${clip(tr.action, 40).padEnd(40)} ` +
      `reward ${tr.reward}  score ${tr.score}  tokens ${transitionTokens(tr)}${flags ? `  (${flags})` : ''}`,
  };
}

function noStepsLine(part: RecordedPart): TreeLine {
  return {
    type: 'marker',
    data: { kind: 'no-steps', subtaskIndex: part.subtaskIndex, status: part.outcome.status },
    text: `  (no steps: ${part.outcome.status})`,
  };
}

function signed(n: number): string {
  return n >= 0 ? `+${n}` : String(n);
}

/** One line of at most `max` characters (whitespace collapsed). */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
