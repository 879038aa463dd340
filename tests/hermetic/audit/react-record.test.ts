/**
 * ReAct records from before continue-as-new (one run whose result holds every step) still read
 * back whole through the run-chain reader, for every fixture version that has them; a run continued
 * from another reads back every run's steps, its own last; and the merge
 * of two step sources keeps each step once, in step order.
 */
import { readdirSync } from 'node:fs';
import type { ReactResult, ReactStep } from '../../../src/episode/records';
import { decode } from '../../../src/history-payloads';
import { mergeReactSteps, readReactRecord } from '../../../src/react-record';
import { fixtureHistories, fixtureHistorySource } from '../../support/fixture-histories';
import { HISTORIES_DIR } from '../../support/record-fixtures';

const versions = readdirSync(HISTORIES_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .filter((v) => fixtureHistories(v).some((h) => h.workflowType === 'reactWorkflow'));

test('some fixture versions hold ReAct episodes', () => expect(versions.length).toBeGreaterThan(0));

describe.each(versions)('ReAct fixtures of %s', (version) => {
  const completed = fixtureHistories(version).filter(
    (h) => h.workflowType === 'reactWorkflow' && h.history.events?.at(-1)?.workflowExecutionCompletedEventAttributes,
  );

  test.each(completed.map((h) => [h.file, h] as const))('%s reads back every step of its result', async (_f, h) => {
    const result = decode<ReactResult>(h.history.events!.at(-1)!.workflowExecutionCompletedEventAttributes!.result)!;
    const record = await readReactRecord(fixtureHistorySource(version), h.workflowId, h.runId);
    expect(record.steps.length).toBeGreaterThan(0);
    if (!h.history.events![0]!.workflowExecutionStartedEventAttributes!.continuedExecutionRunId) {
      expect(record.runs).toBe(1);
      expect(record.steps).toEqual(result.steps);
      return;
    }
    // A run continued from another: its result holds its own steps, the record adds the runs before it
    // that the source holds (the fixtures keep the first and last runs only), in order, up to the last step.
    expect(record.steps.slice(-result.steps.length)).toEqual(result.steps);
    const indexes = record.steps.map((s) => s.stepIndex);
    expect(record.steps.length).toBeGreaterThan(result.steps.length);
    expect(indexes).toEqual(indexes.map((_, i) => indexes[0]! + i));
    expect(indexes.at(-1)).toBe(result.stepCount - 1);
  });
});

test('merging step sources keeps each step once, the later source winning, in step order', () => {
  const step = (stepIndex: number, action: string) => ({ stepIndex, action }) as ReactStep;
  const merged = mergeReactSteps([step(0, 'a'), step(1, 'b'), step(2, 'c')], [step(3, 'd'), step(2, 'C')]);
  expect(merged.map((s) => `${s.stepIndex}${s.action}`)).toEqual(['0a', '1b', '2C', '3d']);
});
