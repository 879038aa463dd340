/**
 * The patch stack stays small and covered (docs/versioning.md): only the eval (which upgrades
 * across builds) uses `patched()`, every id it uses is listed in `src/workflows/patches.ts`, and
 * every listed id, active or deprecated, has replay fixtures on both branches: an eval history
 * holding its marker and one without it. A made-up id is reported, so the check can fail.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { DEPRECATED_EVAL_PATCHES, EVAL_PATCHES } from '../../../src/workflows/patches';
import { HISTORIES_DIR, readManifest } from '../../support/record-fixtures';

const manifest = readManifest();

/** Patch ids whose markers a fixture history holds (decoded from the marker's payload). */
function patchMarkers(version: string, file: string): { workflowType: string; ids: Set<string> } {
  const history = JSON.parse(readFileSync(path.join(HISTORIES_DIR, version, file), 'utf8')) as {
    events: Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const workflowType = history.events[0]!.workflowExecutionStartedEventAttributes.workflowType.name as string;
  const ids = new Set<string>();
  for (const event of history.events) {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') continue;
    for (const payload of marker.details?.['patch-data']?.payloads ?? []) {
      const data = JSON.parse(Buffer.from(payload.data as string, 'base64').toString('utf8')) as { id?: string };
      if (data.id) ids.add(data.id);
    }
  }
  return { workflowType, ids };
}

const evalFixtures = Object.entries(manifest).flatMap(([version, entries]) =>
  entries.map((e) => patchMarkers(version, e.file)).filter((h) => h.workflowType === 'evalWorkflow'),
);

/** The branches of `id` no eval fixture reaches (`new`: none holds its marker; `old`: all do). */
function uncoveredBranches(id: string): string[] {
  const withMarker = evalFixtures.filter((h) => h.ids.has(id)).length;
  return [...(withMarker === 0 ? ['new'] : []), ...(withMarker === evalFixtures.length ? ['old'] : [])];
}

test('the eval fixtures are read (markers found)', () => {
  expect(evalFixtures.length).toBeGreaterThanOrEqual(4);
  expect(evalFixtures.some((h) => h.ids.size > 0)).toBe(true);
});

test.each([...EVAL_PATCHES, ...DEPRECATED_EVAL_PATCHES].map((id) => [id]))(
  'patch %s has replay fixtures on both branches',
  (id) => {
    expect(uncoveredBranches(id)).toEqual([]);
  },
);

test('an id without fixtures is reported (the check can fail)', () => {
  expect(uncoveredBranches('no-such-patch')).toEqual(['new']);
});

test('only the eval workflow calls patched(), and only with listed ids', () => {
  const dir = path.resolve(__dirname, '..', '..', '..', 'src', 'workflows');
  const listed = new Set<string>([...EVAL_PATCHES, ...DEPRECATED_EVAL_PATCHES]);
  const patchesSource = readFileSync(path.join(dir, 'patches.ts'), 'utf8');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(path.join(dir, file), 'utf8');
    const calls = [...source.matchAll(/\b(?:patched|deprecatePatch)\(\s*([A-Z_]+|'[^']+')\s*\)/g)].map((m) => m[1]!);
    if (file !== 'eval.ts') expect({ file, calls }).toEqual({ file, calls: [] });
    for (const call of calls) {
      const id = call.startsWith("'")
        ? call.slice(1, -1)
        : new RegExp(`export const ${call} = '([^']+)'`).exec(patchesSource)?.[1];
      expect(listed.has(id ?? call)).toBe(true);
    }
  }
});
