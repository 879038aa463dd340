/** Two evaluations side by side: per-group scores and the ratio of tokens per step. */
import { compareEvals, ratio, renderCompareMarkdown, renderCompareTerminal } from '../../../src/eval/compare';
import type { EvalResults } from '../../../src/episode/eval-types';
import { outcome, scienceWorldSample } from '../../support/eval-outcomes';

/** The sample's episodes replayed by ReAct: same scores and steps, 3000 + 100 tokens per step. */
function reactSample(): EvalResults {
  const stepHrl = scienceWorldSample();
  return {
    ...stepHrl,
    evalId: 'eval-2',
    agent: 'react',
    outcomes: stepHrl.outcomes.map((o) => ({
      ...o,
      episodeId: `eval-2-${o.index}`,
      tokens: { react: { calls: o.steps, prompt: 3000 * o.steps, completion: 100 * o.steps } },
    })),
  };
}

describe('compareEvals', () => {
  it('gives both evals per group and the ratio of tokens per step (B / A)', () => {
    const c = compareEvals(scienceWorldSample(), reactSample());
    expect(c.a).toMatchObject({ agent: 'step-hrl', label: 'step-hrl', evalId: 'eval-1' });
    expect(c.b).toMatchObject({ agent: 'react', label: 'react', evalId: 'eval-2' });
    expect(c.rows.map((r) => r.group)).toEqual(['boil', 'melt']);
    const boil = c.rows[0];
    expect(boil.a?.score).toBe(50);
    expect(boil.b?.score).toBe(50);
    expect(boil.b?.tokensPerStep.total).toBe(3100);
    expect(boil.tokensPerStepRatio).toBeCloseTo(3100 / (18310 / 30));
    expect(c.rows[1].tokensPerStepRatio).toBeCloseTo(3100 / (26250 / 60));
    expect(c.mean.tokensPerStepRatio).toBeCloseTo(3100 / ((18310 + 26250) / 90));
    expect(c.warnings).toEqual([]);
  });

  it('keeps groups only one eval has, with no ratio, and warns when the evals differ', () => {
    const b = reactSample();
    b.split = 'unseen';
    b.total = 7;
    b.outcomes.push(outcome(5, 'freeze', { score: 20, steps: 5, tokens: { react: [5, 500, 0] } }));
    const c = compareEvals(scienceWorldSample(), b);
    expect(c.rows.map((r) => r.group)).toEqual(['boil', 'melt', 'freeze']);
    expect(c.rows[2]).toMatchObject({ a: undefined, tokensPerStepRatio: null });
    expect(c.warnings).toEqual(['different splits: seen vs unseen', 'B is incomplete: 6/7 episodes']);
  });

  it('labels two evals of the same agent by id', () => {
    const other = { ...scienceWorldSample(), evalId: 'eval-9' };
    const c = compareEvals(scienceWorldSample(), other);
    expect([c.a.label, c.b.label]).toEqual(['step-hrl (eval-1)', 'step-hrl (eval-9)']);
    expect(c.mean.tokensPerStepRatio).toBe(1);
  });

  it('has no ratio when A spent no tokens', () => {
    expect(ratio(0, 10)).toBeNull();
    expect(ratio(undefined, 10)).toBeNull();
    expect(ratio(200, 500)).toBe(2.5);
  });
});

describe('comparison renderings', () => {
  it('prints markdown and terminal tables with both agents and the ratio', () => {
    const c = compareEvals(scienceWorldSample(), reactSample());
    const md = renderCompareMarkdown(c);
    expect(md).toContain('A = step-hrl (eval eval-1), B = react (eval eval-2)');
    const rows = md.split('\n').filter((l) => l.startsWith('|'));
    expect(rows).toHaveLength(2 + 2 + 1);
    expect(rows[2]).toBe(
      `| boil | 2/2 | 50.0 | 50.0 | 50.0 | 50.0 | 15.0 | 15.0 | 610 | 3100 | ${(3100 / (18310 / 30)).toFixed(2)}× |`,
    );
    expect(rows[4]).toContain('**mean (all episodes)**');
    const term = renderCompareTerminal(c).split('\n');
    expect(term[0]).toContain('B/A = B');
    expect(Math.max(...term.slice(1).map((l) => l.length))).toBeLessThanOrEqual(120);
    expect(term.filter((l) => /│ boil /.test(l))).toHaveLength(1);
    expect(term.length).toBe(1 + 3 + 3 + 1);
  });
});
