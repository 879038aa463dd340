/** CSV (RFC 4180), markdown and terminal renderings of the results table. */
import { SCIENCEWORLD_PAPER_TASKS } from '../../../src/envs/splits';
import {
  csvDocument,
  csvField,
  renderResultsCsv,
  renderResultsMarkdown,
  renderResultsTerminal,
  resultsCsvHeader,
} from '../../../src/eval/render';
import { buildResultsTable } from '../../../src/eval/table';
import { outcome, results, scienceWorldSample } from '../../support/eval-outcomes';

/** A strict RFC 4180 reader: records of fields, CRLF line ends, quotes doubled inside quoted fields. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"' && field === '') {
      i++;
      for (;;) {
        if (text[i] === '"' && text[i + 1] === '"') [field, i] = [field + '"', i + 2];
        else if (text[i] === '"') break;
        else if (i >= text.length) throw new Error('unterminated quote');
        else field += text[i++];
      }
      i++;
    } else if (text[i] === ',') [record, field, i] = [[...record, field], '', i + 1];
    else if (text.startsWith('\r\n', i)) {
      records.push([...record, field]);
      [record, field, i] = [[], '', i + 2];
    } else if (text[i] === '"' || text[i] === '\n' || text[i] === '\r')
      throw new Error(`bare ${JSON.stringify(text[i])} at ${i}`);
    else field += text[i++];
  }
  if (field !== '' || record.length > 0) throw new Error('last record lacks CRLF');
  return records;
}

describe('CSV', () => {
  it('quotes fields with commas, quotes and line breaks (RFC 4180) and leaves others bare', () => {
    expect(csvField('boil')).toBe('boil');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(0.123456)).toBe('0.1235');
    expect(
      csvDocument([
        ['x', 'y,z'],
        [1, 'q"'],
      ]),
    ).toBe('x,"y,z"\r\n1,"q"""\r\n');
  });

  it('writes a header, one record per group and the split-mean record, all of one width', () => {
    const sample = scienceWorldSample();
    sample.outcomes[2] = { ...sample.outcomes[2], group: 'melt, "fast"' };
    const table = buildResultsTable(sample);
    const records = parseCsv(renderResultsCsv(table));
    expect(records[0]).toEqual(resultsCsvHeader(table.levels));
    expect(records.map((r) => r[0])).toEqual(['group', 'boil', 'melt, "fast"', 'melt', 'mean (all episodes)']);
    for (const r of records) expect(r).toHaveLength(records[0].length);
    const col = (name: string) => records[0].indexOf(name);
    expect(records[1][col('score')]).toBe('50');
    expect(records[4][col('score')]).toBe('56');
    expect(records[1][col('high_prompt_tokens')]).toBe('1250');
    expect(Number(records[1][col('tokens_per_step')])).toBeCloseTo(18310 / 30, 3);
  });
});

/** Cells of a markdown table line (pipes escaped with a backslash are not separators). */
function markdownCells(line: string): string[] {
  return line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

describe('markdown', () => {
  it('has a caption naming agent, model, selection, split, episodes and max steps, then one table', () => {
    const sample = scienceWorldSample();
    sample.outcomes[0] = { ...sample.outcomes[0], group: 'boil | fast' };
    const md = renderResultsMarkdown(sample);
    const lines = md.split('\n');
    expect(lines[0]).toMatch(/^\*\*Table\.\*\* Evaluation eval-1: /);
    for (const part of ['agent step-hrl', 'model Qwen2.5-7B-Instruct', 'selection scienceworld-seen', 'split seen', 'episodes 5/5', 'max steps 50']) {
      expect(lines[0]).toContain(part);
    } // prettier-ignore
    const tableLines = lines.filter((l) => l.startsWith('|'));
    // header, alignment, 3 groups, split mean, macro mean
    expect(tableLines).toHaveLength(7);
    const width = markdownCells(tableLines[0]).length;
    for (const l of tableLines) expect(markdownCells(l)).toHaveLength(width);
    expect(markdownCells(tableLines[1]).every((c) => /^:?---:?$/.test(c))).toBe(true);
    expect(markdownCells(tableLines[2])[0]).toBe('boil \\| fast');
    expect(markdownCells(tableLines[5]).slice(0, 4)).toEqual(['**mean (all episodes)**', '5', '40.0', '**56.0**']);
    // macro: (100 + 0 + 60) / 3 tasks
    expect(markdownCells(tableLines[6]).slice(0, 4)).toEqual(['_mean of tasks (macro)_', '3 tasks', '44.4', '53.3']);
    expect(markdownCells(tableLines[0])).toEqual(
      expect.arrayContaining(['high prompt', 'low completion', 'progress tok/step']),
    );
  });

  it('says when the results are partial', () => {
    const md = renderResultsMarkdown(results([outcome(0, 'boil', { score: 10 })], { total: 30 }));
    expect(md.split('\n')[0]).toContain('episodes 1/30 (in progress or incomplete)');
  });
});

describe('terminal table', () => {
  it('fits the 24 paper tasks on one line each, with the split and macro means', () => {
    const outcomes = SCIENCEWORLD_PAPER_TASKS.map((task, i) =>
      outcome(i, task, { score: i * 4, steps: 10, tokens: { high: [1, 900, 90], low: [10, 4000, 100], progress: [2, 200, 10] } }),
    ); // prettier-ignore
    const text = renderResultsTerminal(results(outcomes));
    const lines = text.split('\n');
    // caption, top border, head, head rule, 24 tasks, split mean, macro mean, bottom border
    expect(lines).toHaveLength(1 + 3 + 24 + 2 + 1);
    expect(lines.slice(1).every((l) => l.length <= 130)).toBe(true);
    expect(lines.filter((l) => l.includes('power-component-renewable-vs-nonrenewable-energy'))).toHaveLength(1);
    expect(lines[lines.length - 3]).toMatch(/mean \(all episodes\)\s+│\s+24 │/);
    expect(text).not.toMatch(/\u001b\[/); // no colour codes
  });
});
