/**
 * The query `step-hrl list` builds from its filters (issue 11 item 1): one quoted clause per
 * filter, ANDed with the raw `--query`; values that contain quotes or backslashes stay literal.
 */
import { buildListQuery, quoteQueryValue } from '../../../src/cli/list-query';

test('no filter lists episodes and evals only', () => {
  expect(buildListQuery({})).toBe("StepHrlKind IN ('episode', 'eval') AND ExecutionStatus != 'ContinuedAsNew'");
});

test('every filter becomes one clause on its search attribute', () => {
  const query = buildListQuery({
    env: 'scienceworld',
    task: 'boil',
    split: 'test',
    agent: 'react',
    profile: 'paper',
    model: 'qwen',
    status: 'env-done',
    won: 'false',
    eval: 'eval-1',
    parent: 'ep-7',
    kind: 'episode',
  });
  expect(query).toBe(
    "StepHrlKind = 'episode' AND ExecutionStatus != 'ContinuedAsNew' AND StepHrlEnv = 'scienceworld' AND StepHrlTask = 'boil' AND StepHrlSplit = 'test' AND " +
      "StepHrlAgent = 'react' AND StepHrlProfile = 'paper' AND StepHrlModel = 'qwen' AND StepHrlStatus = 'env-done' AND " +
      "StepHrlEvalId = 'eval-1' AND StepHrlParent = 'ep-7' AND StepHrlWon = false",
  );
});

test('--won true is a Bool clause, --query is ANDed in parentheses', () => {
  expect(buildListQuery({ won: 'TRUE', query: 'StepHrlScore > 50 OR StepHrlSteps < 3' })).toBe(
    "StepHrlKind IN ('episode', 'eval') AND ExecutionStatus != 'ContinuedAsNew' AND StepHrlWon = true AND (StepHrlScore > 50 OR StepHrlSteps < 3)",
  );
});

test('quotes and backslashes in values are escaped, so a value cannot end its literal', () => {
  expect(quoteQueryValue("it's")).toBe("'it\\'s'");
  expect(quoteQueryValue('a\\b')).toBe("'a\\\\b'");
  expect(quoteQueryValue("x' OR StepHrlWon = true OR '")).toBe("'x\\' OR StepHrlWon = true OR \\''");
  expect(buildListQuery({ task: "pick_and_place/trial_T2019'1" })).toBe(
    "StepHrlKind IN ('episode', 'eval') AND ExecutionStatus != 'ContinuedAsNew' AND StepHrlTask = 'pick_and_place/trial_T2019\\'1'",
  );
});

test('--status running also asks Temporal: a terminated run never recorded its end', () => {
  expect(buildListQuery({ status: 'running', kind: 'eval' })).toBe(
    "StepHrlKind = 'eval' AND ExecutionStatus != 'ContinuedAsNew' AND StepHrlStatus = 'running' AND " +
      "ExecutionStatus = 'Running'",
  );
});

test('bad --won and --kind name the flag and the valid values', () => {
  expect(() => buildListQuery({ won: 'no' })).toThrow('--won "no" is not valid; pass --won true or --won false');
  expect(() => buildListQuery({ kind: 'subtask' })).toThrow('--kind "subtask" is not valid; choose episode or eval');
});
