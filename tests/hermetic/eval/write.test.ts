/** The results files under an eval's output folder. */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RESULTS_SCHEMA_VERSION, readResults, writeComparison, writeResults } from '../../../src/eval/write';
import { buildResultsTable } from '../../../src/eval/table';
import { decodePng } from '../../support/png';
import { scienceWorldSample } from '../../support/eval-outcomes';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'step-hrl-results-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('writeResults', () => {
  it('writes results.json (versioned, with the table), results.csv, results.md and results.png', async () => {
    const sample = scienceWorldSample();
    const out = path.join(dir, 'evals', 'eval-1');
    const paths = await writeResults(sample, out);
    expect(paths).toEqual({
      json: path.join(out, 'results.json'),
      csv: path.join(out, 'results.csv'),
      markdown: path.join(out, 'results.md'),
      png: path.join(out, 'results.png'),
    });
    const json = JSON.parse(await fs.readFile(paths.json, 'utf8'));
    expect(json.schemaVersion).toBe(RESULTS_SCHEMA_VERSION);
    expect(json.results).toEqual(sample);
    expect(json.table).toEqual(JSON.parse(JSON.stringify(buildResultsTable(sample))));
    expect((await fs.readFile(paths.csv, 'utf8')).split('\r\n')[1]).toMatch(/^boil,2,1,0.5,50,/);
    expect(await fs.readFile(paths.markdown, 'utf8')).toMatch(/^\*\*Table\.\*\* Evaluation eval-1/);
    expect(decodePng(await fs.readFile(paths.png)).width).toBeGreaterThan(0);
    expect((await fs.readdir(out)).sort()).toEqual(['results.csv', 'results.json', 'results.md', 'results.png']);
  });

  it('writes the same bytes for the same results (a cached re-run reproduces the files)', async () => {
    const first = await writeResults(scienceWorldSample(), path.join(dir, 'a'));
    const second = await writeResults(scienceWorldSample(), path.join(dir, 'b'));
    for (const key of ['json', 'csv', 'markdown', 'png'] as const) {
      expect((await fs.readFile(second[key])).equals(await fs.readFile(first[key]))).toBe(true);
    }
  });
});

describe('readResults', () => {
  it('reads back what writeResults wrote, from the folder or the file', async () => {
    const paths = await writeResults(scienceWorldSample(), dir);
    expect((await readResults(dir)).results).toEqual(scienceWorldSample());
    expect((await readResults(paths.json)).table.mean.score).toBeCloseTo(56);
  });

  it('names the file and the fix when it is missing or of another schema version', async () => {
    await expect(readResults(path.join(dir, 'nope'))).rejects.toThrow(
      /cannot read evaluation results .*nope.*results\.json/,
    );
    const file = path.join(dir, 'results.json');
    await fs.writeFile(file, JSON.stringify({ schemaVersion: 99, results: scienceWorldSample() }));
    await expect(readResults(dir)).rejects.toThrow(/schemaVersion 99, this step-hrl reads 1; write them again/);
    await fs.writeFile(file, '{');
    await expect(readResults(dir)).rejects.toThrow(/are not JSON/);
  });
});

describe('writeComparison', () => {
  it('writes compare.json, compare.md and compare.png', async () => {
    const a = scienceWorldSample();
    const b = { ...a, evalId: 'eval-2', agent: 'react' as const };
    const paths = await writeComparison(a, b, dir);
    const json = JSON.parse(await fs.readFile(paths.json, 'utf8'));
    expect(json).toMatchObject({
      schemaVersion: RESULTS_SCHEMA_VERSION,
      a: { evalId: 'eval-1' },
      b: { evalId: 'eval-2' },
    });
    expect(await fs.readFile(paths.markdown, 'utf8')).toContain('B/A tok/step');
    expect(decodePng(await fs.readFile(paths.png)).height).toBeGreaterThan(0);
  });
});
