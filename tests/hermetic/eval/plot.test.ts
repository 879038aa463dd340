/** The evaluation plots: valid PNGs of sensible size with the bars drawn. */
import { SCIENCEWORLD_PAPER_TASKS } from '../../../src/envs/splits';
import { SERIES_COLORS, barFigureSvg, niceAxis } from '../../../src/eval/chart';
import { renderComparePng, renderResultsPng, resultsFigure } from '../../../src/eval/plot';
import { countColour, countNonWhite, decodePng } from '../../support/png';
import { outcome, results, scienceWorldSample } from '../../support/eval-outcomes';

describe('results plot', () => {
  it('is a PNG of sensible size whose pixels are not blank, with the score bars in the first series colour', () => {
    const img = decodePng(renderResultsPng(scienceWorldSample()));
    expect(img.width).toBeGreaterThanOrEqual(600);
    expect(img.width).toBeLessThanOrEqual(4000);
    expect(img.height).toBeGreaterThanOrEqual(200);
    expect(img.height).toBeLessThanOrEqual(4000);
    expect(countNonWhite(img) / (img.width * img.height)).toBeGreaterThan(0.03);
    // three score bars (boil 50, melt 60, mean 56) plus the high-level segments of the token bars
    expect(countColour(img, SERIES_COLORS[0])).toBeGreaterThan(20_000);
    expect(countColour(img, SERIES_COLORS[1])).toBeGreaterThan(10_000); // the low level's tokens
  });

  it('draws bars in proportion to the values (score axis fixed at 100)', () => {
    const sample = results([
      outcome(0, 'boil', { score: 50, steps: 10 }),
      outcome(1, 'melt', { score: 100, won: true, steps: 10 }),
    ]);
    const svg = barFigureSvg(resultsFigure(sample));
    const widths = [
      ...svg.matchAll(new RegExp(`<rect [^>]*width="([\\d.]+)"[^>]*fill="${SERIES_COLORS[0]}"`, 'g')),
    ].map((m) => Number(m[1]));
    // boil, melt, mean (75); the legend swatch is 10 wide
    expect(widths.filter((w) => w !== 10)).toEqual([180, 360, 270]);
  });

  it('stays readable for the 24 paper tasks and renders with no episode yet', () => {
    const outcomes = SCIENCEWORLD_PAPER_TASKS.map((task, i) => outcome(i, task, { score: 50, steps: 10 }));
    const big = decodePng(renderResultsPng(results(outcomes)));
    expect(big.height).toBeGreaterThan(800); // a row per task, not squeezed
    expect(big.height).toBeLessThanOrEqual(4000);
    const empty = decodePng(renderResultsPng(results([], { total: 24 })));
    expect(countNonWhite(empty)).toBeGreaterThan(0); // title and axes
  });

  it('ends the token axis just past the data on a 1/2/5 step', () => {
    expect(niceAxis(530)).toEqual({ max: 600, step: 200 });
    expect(niceAxis(100)).toEqual({ max: 100, step: 20 });
    expect(niceAxis(0.3)).toEqual({ max: 0.3, step: 0.1 });
    expect(niceAxis(0)).toEqual({ max: 1, step: 1 });
  });

  it('escapes task names for SVG', () => {
    const svg = barFigureSvg(resultsFigure(results([outcome(0, 'a<b & "c"', { score: 1, steps: 1 })])));
    expect(svg).toContain('a&lt;b &amp; &quot;c&quot;');
  });
});

describe('comparison plot', () => {
  it('draws both agents in their colours', () => {
    const a = scienceWorldSample();
    const b = { ...a, evalId: 'eval-2', agent: 'react' as const };
    const img = decodePng(renderComparePng(a, b));
    expect(img.width).toBeLessThanOrEqual(4000);
    expect(countColour(img, SERIES_COLORS[0])).toBeGreaterThan(10_000);
    expect(countColour(img, SERIES_COLORS[1])).toBeGreaterThan(10_000);
  });
});
