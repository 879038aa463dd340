/**
 * The teacher path's prompts and parsers (issue 18 items 2b, 3): one worked example in the
 * segmentation prompt, numbered subtasks each listing its actions, the validity rule (segmented
 * actions equal the gold sequence in order and count), progress labels in the reference's modes
 * with the raw text kept and the stored target stripped, and versioned prompt files whose sha256
 * is what provenance records.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  loadTeacherPrompt,
  parseProgressLabel,
  parseSegmentation,
  progressRequest,
  segmentRequest,
  teacherPromptHashes,
} from '../../../src/datasets/teacher';

const GOLD = ['open door to kitchen', 'go to kitchen', 'pick up thermometer', 'focus on thermometer'];

describe('segmentation', () => {
  test('the request numbers the gold actions after one worked example', () => {
    const req = segmentRequest('Your task is to measure the temperature.', GOLD);
    const text = req.messages![0].content;
    expect(text.match(/^Example$/gm)).toHaveLength(1);
    expect(text).toContain(
      'Task: Your task is to measure the temperature.\nActions:\n1. open door to kitchen\n2. go to kitchen\n3. pick up thermometer\n4. focus on thermometer\nAnswer:',
    );
    expect(req.temperature).toBe(0);
  });

  test('a numbered answer that covers the gold actions parses, "_" read as a space', () => {
    const reply =
      "Here you go:\n1- navigate_to(kitchen) : {'open door to kitchen', 'go to kitchen'}\n2- Pick up and focus on the thermometer : {'pick up thermometer', \"focus on thermometer\"}\n";
    expect(parseSegmentation(reply, GOLD)).toEqual({
      ok: true,
      value: [
        { subtask: 'navigate to(kitchen)', actions: ['open door to kitchen', 'go to kitchen'] },
        { subtask: 'Pick up and focus on the thermometer', actions: ['pick up thermometer', 'focus on thermometer'] },
      ],
    });
  });

  test('a dropped, reordered or invented action breaks the validity rule; no list is bad structure', () => {
    const missing = "1- Go : {'open door to kitchen', 'go to kitchen'}\n2- Take : {'pick up thermometer'}";
    expect(parseSegmentation(missing, GOLD)).toEqual({
      ok: false,
      reason: 'segment-mismatch',
      detail: 'segmented 3 actions, the gold sequence has 4',
    });
    const reordered =
      "1- Go : {'go to kitchen', 'open door to kitchen'}\n2- Take : {'pick up thermometer', 'focus on thermometer'}";
    expect(parseSegmentation(reordered, GOLD)).toMatchObject({
      ok: false,
      reason: 'segment-mismatch',
      detail: 'action 1 is "go to kitchen", the gold action is "open door to kitchen"',
    });
    expect(parseSegmentation('I cannot do that.', GOLD)).toMatchObject({ ok: false, reason: 'invalid-structure' });
  });
});

describe('progress labels', () => {
  test('the request carries subtask, previous progress, action and observation at temperature 0.15', () => {
    const req = progressRequest({
      subtask: 'Locate the apple',
      previous: 'None',
      action: 'go to fridge 1',
      observation: 'The fridge 1 is closed.\n',
    });
    expect(req.messages![0].content).toContain(
      'Subtask: Locate the apple\nPrevious local progress: None\nCurrent action: go to fridge 1\nResulting observation: The fridge 1 is closed.\n\nUpdated local progress:',
    );
    expect(req.temperature).toBe(0.15);
  });

  test('raw text is kept, the stored target strips the empty bookkeeping suffix, an empty label is rejected', () => {
    expect(parseProgressLabel('Checked the fridge. || [Checked: fridge 1]\nextra')).toEqual({
      ok: true,
      value: { raw: 'Checked the fridge. || [Checked: fridge 1]', label: 'Checked the fridge. || [Checked: fridge 1]' },
    });
    expect(parseProgressLabel('Updated local progress: Nothing found yet. || [Checked: ]')).toEqual({
      ok: true,
      value: { raw: 'Nothing found yet. || [Checked: ]', label: 'Nothing found yet.' },
    });
    expect(parseProgressLabel('  \n ')).toMatchObject({ ok: false, reason: 'empty-label' });
    expect(parseProgressLabel('|| [Checked: ]')).toMatchObject({ ok: false, reason: 'empty-label' });
  });
});

test('prompt files are versioned and their sha256 is the file content hash', () => {
  const file = path.join(__dirname, '../../../src/datasets/prompts/segment-v1.txt');
  const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
  expect(loadTeacherPrompt('segment')).toMatchObject({ name: 'segment-v1.txt', sha256: sha });
  expect(Object.keys(teacherPromptHashes())).toEqual(['segment-v1.txt', 'progress-v1.txt']);
});
