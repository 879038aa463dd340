/** The results table: per-group aggregates, split micro mean, macro mean, partial results. */
import { scienceWorldMetric } from '../../../src/envs/splits';
import { buildResultsTable } from '../../../src/eval/table';
import { outcome, results, scienceWorldSample } from '../../support/eval-outcomes';

describe('buildResultsTable', () => {
  it('aggregates ScienceWorld episodes per task with negative scores clamped to 0', () => {
    const table = buildResultsTable(scienceWorldSample());
    expect(table.metric).toBe('mean-clamped-score');
    expect(table.rows.map((r) => r.group)).toEqual(['boil', 'melt']);
    const [boil, melt] = table.rows;
    expect(boil).toMatchObject({ episodes: 2, won: 1, successRate: 0.5, score: 50, meanSteps: 15 });
    expect(melt.score).toBeCloseTo(60);
    expect(melt.successRate).toBeCloseTo(1 / 3);
    expect(boil.score).toBe(scienceWorldMetric([100, -100]));
  });

  it('reports the split mean over all episodes (micro) and, labelled, the per-task macro mean', () => {
    const table = buildResultsTable(scienceWorldSample());
    expect(table.mean).toMatchObject({ group: 'mean (all episodes)', episodes: 5, won: 2, successRate: 0.4 });
    expect(table.mean.score).toBeCloseTo(56); // (100 + 0 + 40 + 60 + 80) / 5
    expect(table.mean.meanSteps).toBeCloseTo(18);
    expect(table.macroMean.group).toBe('mean of tasks (macro)');
    expect(table.macroMean.score).toBeCloseTo(55); // (50 + 60) / 2
    expect(table.macroMean.successRate).toBeCloseTo((0.5 + 1 / 3) / 2);
    expect(table.macroMean.groups).toBe(2);
  });

  it('gives mean tokens per episode per level and tokens per step, total and per level', () => {
    const table = buildResultsTable(scienceWorldSample());
    expect(table.levels).toEqual(['high', 'low', 'progress']);
    const [boil, melt] = table.rows;
    expect(boil.tokens.high).toEqual({ calls: 2.5, prompt: 1250, completion: 125 });
    expect(boil.tokens.low).toEqual({ calls: 15, prompt: 7000, completion: 300 });
    expect(melt.tokens.progress).toEqual({ calls: 0, prompt: 0, completion: 0 });
    // boil: 6620 + 11690 tokens over 30 steps
    expect(boil.tokensPerStep.total).toBeCloseTo(18310 / 30);
    expect(boil.tokensPerStep.high).toBeCloseTo((1000 + 100 + 1500 + 150) / 30);
    expect(boil.tokensPerStep.progress).toBeCloseTo((300 + 20 + 600 + 40) / 30);
    expect(boil.meanTokens).toBeCloseTo(18310 / 2);
    expect(boil.spentTokens).toBe(6620);
    // the mean row is a ratio of sums over every episode, not a mean of ratios
    expect(table.mean.tokensPerStep.total).toBeCloseTo((18310 + 4650 + 12850 + 8750) / 90);
  });

  it('scores ALFWorld as 100 × success rate per task type', () => {
    const alf = (index: number, group: string, won: boolean) =>
      outcome(index, group, {
        won,
        score: won ? 1 : 0,
        steps: 10,
        spec: { env: 'alfworld', task: `${group}/g${index}` },
      });
    const table = buildResultsTable(
      results([alf(0, 'pick_and_place', true), alf(1, 'pick_and_place', true), alf(2, 'pick_and_place', false), alf(3, 'look_at_obj', false)], {
        env: 'alfworld',
        selection: 'alfworld-seen',
        split: 'valid_seen',
      }),
    ); // prettier-ignore
    expect(table.metric).toBe('success-rate');
    expect(table.rows[0].score).toBeCloseTo(200 / 3);
    expect(table.rows[1].score).toBe(0);
    expect(table.mean.score).toBe(50);
    expect(table.macroMean.score).toBeCloseTo((200 / 3 + 0) / 2);
  });

  it('handles partial results: counts done vs planned, failed and errored episodes as lost', () => {
    const table = buildResultsTable(
      results(
        [
          outcome(3, 'melt', { score: 0, status: 'failed', error: 'workflow failed' }),
          outcome(0, 'boil', { score: 90, won: true, steps: 5 }),
          outcome(1, 'boil', { score: 30, steps: 50, status: 'llm-error', error: 'endpoint down' }),
        ],
        { total: 10 },
      ),
    );
    expect(table).toMatchObject({ done: 3, total: 10, complete: false });
    expect(table.rows.map((r) => r.group)).toEqual(['boil', 'melt']); // plan order, not arrival order
    expect(table.rows[0]).toMatchObject({ episodes: 2, failed: 0, errored: 1, score: 60 });
    expect(table.rows[1]).toMatchObject({ episodes: 1, failed: 1, errored: 0, score: 0, meanSteps: 0 });
    expect(table.rows[1].tokensPerStep.total).toBe(0); // no steps: 0, not NaN
    expect(table.mean).toMatchObject({ failed: 1, errored: 1, episodes: 3, score: 40 });
  });

  it('has no rows and zero means before the first episode ends', () => {
    const table = buildResultsTable(results([], { total: 24 }));
    expect(table).toMatchObject({ done: 0, total: 24, complete: false, rows: [] });
    expect(table.mean).toMatchObject({ episodes: 0, score: 0, successRate: 0 });
    expect(table.macroMean.score).toBe(0);
  });

  it('shows the single react level for the ReAct baseline', () => {
    const table = buildResultsTable(
      results([outcome(0, 'boil', { steps: 4, tokens: { react: [4, 4000, 200] } })], { agent: 'react' }),
    );
    expect(table.levels).toEqual(['react']);
    expect(table.rows[0].tokensPerStep).toEqual({ total: 1050, react: 1050 });
  });
});
