/**
 * Records the replay fixtures of a new history version, by hand, after a workflow change that
 * shipped behind `patched()` (see docs/versioning.md):
 *
 *   npx ts-node scripts/record-fixtures.ts v3
 *
 * Starts its own dev server; writes tests/fixtures/histories/v3/ and adds v3 to the manifest.
 * A version already in the manifest is refused: released fixtures are never re-recorded.
 */
import { recordVersion } from '../tests/support/record-fixtures';

const version = process.argv[2];
if (!version || !/^v\d+$/.test(version)) {
  console.error('usage: npx ts-node scripts/record-fixtures.ts <version, e.g. v3>');
  process.exit(2);
}
recordVersion(version).then(
  () => console.log(`recorded history version ${version} under tests/fixtures/histories/${version}`),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
