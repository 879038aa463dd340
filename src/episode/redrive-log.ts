/**
 * The re-drive log: the actions and observation hashes of every step so far, which an episode of
 * either agent kind carries across continue-as-new so a lost env session can be rebuilt. Kept
 * compact ({@link CompactRedriveLog}, about 10 bytes a step) because it is the largest part of a
 * long episode's carried state; the step list that older states hold still reads. Pure, workflow-safe.
 */
import type { CompactRedriveLog, RecordedStep, RedriveLog } from '../activities/types';

/**
 * Hex digits of an observation hash the log keeps per step: 32 bits, so a diverged observation
 * passes a step's check with odds of 1 in 4 billion (and a diverged env rarely diverges for one step).
 */
export const REDRIVE_HASH_CHARS = 8;

/** A log with no step yet. */
export function emptyRedriveLog(): CompactRedriveLog {
  return { actions: [], actionIndexes: '', obsHashes: '' };
}

/**
 * `log` with `steps` appended: a compact log is extended in place and returned; a step list
 * (recorded before the compact form) is converted first.
 */
export function appendRedriveSteps(log: RedriveLog, steps: readonly RecordedStep[]): CompactRedriveLog {
  const compact = Array.isArray(log) ? appendRedriveSteps(emptyRedriveLog(), log) : log;
  for (const { action, obsHash } of steps) {
    let index = compact.actions.indexOf(action);
    if (index < 0) index = compact.actions.push(action) - 1;
    const id = index.toString(36);
    compact.actionIndexes = compact.obsHashes === '' ? id : `${compact.actionIndexes},${id}`;
    compact.obsHashes += shortObsHash(obsHash);
  }
  return compact;
}

/** Steps in the log. */
export function redriveLogLength(log: RedriveLog): number {
  return Array.isArray(log) ? log.length : log.obsHashes.length / REDRIVE_HASH_CHARS;
}

/**
 * The log's steps in order (hashes as recorded: short ones from a compact log). A compact log whose
 * parts disagree is refused, naming what is wrong.
 */
export function redriveLogSteps(log: RedriveLog): RecordedStep[] {
  if (Array.isArray(log)) return log;
  const { actions, actionIndexes, obsHashes } = log;
  if (!Array.isArray(actions) || typeof actionIndexes !== 'string' || typeof obsHashes !== 'string')
    throw new Error('re-drive log: expected { actions: string[], actionIndexes: string, obsHashes: string }');
  if (obsHashes.length % REDRIVE_HASH_CHARS !== 0)
    throw new Error(`re-drive log: obsHashes length ${obsHashes.length} is not a multiple of ${REDRIVE_HASH_CHARS}`);
  const indexes = obsHashes === '' ? [] : actionIndexes.split(',');
  if (indexes.length * REDRIVE_HASH_CHARS !== obsHashes.length)
    throw new Error(
      `re-drive log: ${indexes.length} action indexes but ${obsHashes.length / REDRIVE_HASH_CHARS} observation hashes`,
    );
  return indexes.map((id, step) => {
    const action = actions[parseInt(id, 36)];
    if (action === undefined) throw new Error(`re-drive log: step ${step} names action ${id}, not in actions`);
    const at = step * REDRIVE_HASH_CHARS;
    return { action, obsHash: obsHashes.slice(at, at + REDRIVE_HASH_CHARS) };
  });
}

/** The part of an observation hash the compact log keeps. */
export function shortObsHash(obsHash: string): string {
  return obsHash.slice(0, REDRIVE_HASH_CHARS).padEnd(REDRIVE_HASH_CHARS, '0');
}

/** Whether a re-driven observation's hash matches the recorded one (its short form, or whole in a step list). */
export function obsHashMatches(obsHash: string, recorded: string): boolean {
  return recorded.length === REDRIVE_HASH_CHARS ? shortObsHash(obsHash) === recorded : obsHash === recorded;
}
