/**
 * `show <id> --step N`: one decision in full, for a reviewer who never saw the run: the high-level
 * context of its subtask (and the call that issued it), the low-level prompt, raw reply and parsed
 * action, the observation before and after, the progress update, tokens and cache hits. Records
 * made before v2 show what they hold and name what they lack. Pure: record in, detail/lines out.
 */
import {
  isCompleteCall,
  type CallRecord,
  type CallRecordV1,
  type HighLevelTransition,
  type RecordedTransition,
} from '../agent/records';
import type { EpisodeRecord } from '../episode-record';

/** What was not recorded for a step (histories from before record v2). */
export const NOT_STORED_BEFORE_V2 = 'recorded before v2: prompt, raw reply and cache hit not stored';

/** Everything recorded about step `step` (1-based, as `show` numbers steps). */
export interface StepDetail {
  episodeId: string;
  step: number;
  /** The subtask's high-level transition (context, call, return). */
  highLevel: HighLevelTransition;
  /** Part of the subtask (0-based) and workflow run (1-based) the step was recorded in. */
  part: number;
  run: number;
  transition: RecordedTransition;
  /** What this record lacks and why (empty for complete v2 records). */
  missing: string[];
}

/**
 * The detail of step `step` of `record`. Throws an error naming `--step` and the valid range when
 * the episode has no such step.
 */
export function stepDetail(record: EpisodeRecord, step: number): StepDetail {
  const total = record.transitions.length;
  if (!Number.isInteger(step) || step < 1 || step > total)
    throw new Error(
      total === 0
        ? `--step ${step}: episode ${record.episodeId} has no recorded steps`
        : `--step ${step}: episode ${record.episodeId} has steps 1 to ${total}; pass one of them`,
    );
  const part = record.parts.find((p) => p.outcome.transitions.some((tr) => tr.stepIndex === step - 1))!;
  const transition = part.outcome.transitions.find((tr) => tr.stepIndex === step - 1) as RecordedTransition;
  const highLevel = record.highLevel.find((h) => h.subtaskIndex === part.subtaskIndex)!;
  const missing: string[] = [];
  if (!highLevel.call) missing.push('high-level call: recorded before v2: prompt and reply not stored');
  if (!isCompleteCall(transition.low)) missing.push(`low-level call: ${NOT_STORED_BEFORE_V2}`);
  if (transition.progress && !isCompleteCall(transition.progress))
    missing.push(`progress call: ${NOT_STORED_BEFORE_V2}`);
  return { episodeId: record.episodeId, step, highLevel, part: part.part, run: part.run, transition, missing };
}

/** The detail as text sections. */
export function stepDetailLines(detail: StepDetail): string[] {
  const { highLevel: high, transition: tr } = detail;
  const lines = [
    `step ${detail.step} of episode ${detail.episodeId}: subtask ${high.subtaskIndex + 1} ` +
      `${JSON.stringify(high.subtask)} (part ${detail.part + 1}, workflow run ${detail.run})`,
    '',
    `== high level: subtask ${high.subtaskIndex + 1} ==`,
    `task: ${high.task}`,
    `completed subtasks: ${high.completedSubtasks.length > 0 ? high.completedSubtasks.join(' | ') : '(none)'}`,
    `last progress: ${high.lastProgress}`,
    'observation when issued:',
    ...indent(high.observation),
    ...callLines('high-level call', high.call),
    `return: reward ${high.return.reward}, score change ${high.return.scoreDelta}, status ${high.status}`,
    '',
    '== low level ==',
    'observation before:',
    ...indent(tr.observation),
    `progress before: ${tr.progressBefore}`,
    ...callLines('low-level call', tr.low),
    `action sent: ${tr.action}${tr.invalid ? ' (reply unparseable: "None" sent, as the reference does)' : ''}`,
    `subtask done: ${tr.subtaskDone ? 'yes' : 'no'}`,
    '',
    '== env ==',
    'observation after:',
    ...indent(tr.nextObservation),
    `reward ${tr.reward}, score ${tr.score}, done ${tr.done ? 'yes' : 'no'}, won ${tr.won ? 'yes' : 'no'}, ` +
      `env latency ${tr.envLatencyMs} ms`,
    '',
    '== progress update ==',
    ...(tr.progress
      ? [...callLines('progress call', tr.progress), `progress after: ${tr.progressAfter}`]
      : ['none: the env ended at this step (the reference skips the update there) or the model failed']),
  ];
  return lines;
}

/** A call record's lines: what was sent, the raw reply, what it meant, and its cost. */
function callLines(label: string, record: CallRecord | CallRecordV1 | undefined): string[] {
  if (!record) return [`${label}: recorded before v2: prompt and reply not stored`];
  const cost =
    `model ${record.model}, tokens ${record.tokens.prompt} prompt + ${record.tokens.completion} completion, ` +
    `latency ${record.latencyMs} ms, prompt ${record.promptChars} chars`;
  const repairs = record.repairs.flatMap((r, i) => [
    `repair ${i + 1}: rejected reply (${r.error}):`,
    ...indent(r.reply),
  ]);
  if (!isCompleteCall(record)) {
    const cached = record.cached === undefined ? '' : `, cache hit ${record.cached ? 'yes' : 'no'}`;
    return [`${label}: ${NOT_STORED_BEFORE_V2}`, `  ${cost}${cached}`, ...repairs];
  }
  const sent =
    record.prompt !== undefined
      ? ['prompt:', ...indent(record.prompt)]
      : ['messages:', ...(record.messages ?? []).flatMap((m) => [`  [${m.role}]`, ...indent(m.content, 4)])];
  const decoding =
    `decoding: maxTokens ${record.decoding.maxTokens}, temperature ${record.decoding.temperature}` +
    (record.decoding.stop ? `, stop ${JSON.stringify(record.decoding.stop)}` : '');
  return [
    `${label} (${record.role}):`,
    ...sent.map((l) => `  ${l}`),
    `  ${decoding}`,
    '  raw reply:',
    ...indent(record.reply, 4),
    `  parsed: ${record.output ? JSON.stringify(record.output) : 'unparseable'}`,
    ...repairs.map((l) => `  ${l}`),
    `  ${cost}, cache hit ${record.cached ? 'yes' : 'no'}`,
  ];
}

function indent(text: string, by = 2): string[] {
  const pad = ' '.repeat(by);
  return text.split('\n').map((line) => pad + line);
}
