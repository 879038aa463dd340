/**
 * `step-hrl verify <file|dir>`: checks an export's hash chain. Exit 0 with a one-line summary when it
 * is intact; exit 1 naming the first record that was edited, removed or reordered, a changed header
 * or a cut-short file. A directory is read as an archive bundle holding `export.jsonl`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { EXPORT_FILE_NAME } from '../../export/output-paths';
import { verifyExportText } from '../../export/verify';
import { action, program } from '../program';

/** The export file `target` names (a bundle directory holds `export.jsonl`). @throws when there is none. */
function exportFileOf(target: string): string {
  if (!existsSync(target)) throw new Error(`${target} does not exist; pass an export file or a bundle directory`);
  if (!statSync(target).isDirectory()) return target;
  const file = path.join(target, EXPORT_FILE_NAME);
  if (!existsSync(file))
    throw new Error(`${target} is a directory without ${EXPORT_FILE_NAME}; pass an export file or an archive bundle`);
  return file;
}

program
  .command('verify')
  .description("Check an export's hash chain and name the first record that was edited, removed or reordered")
  .argument('<file|dir>', 'an export written by `export` (or an archive bundle directory holding export.jsonl)')
  .option('--expect-hash <sha256>', 'also require this final hash (as published by whoever made the export)')
  .action(
    action(async (target, flags) => {
      const file = exportFileOf(target);
      const verdict = verifyExportText(readFileSync(file, 'utf8'), file);
      if (!verdict.ok) throw new Error(`${file}: ${verdict.message}`);
      if (flags.expectHash && flags.expectHash.toLowerCase() !== verdict.finalHash)
        throw new Error(
          `${file}: the chain is intact but its final hash ${verdict.finalHash} is not the expected ${flags.expectHash}`,
        );
      const episodes = verdict.header.identity.episodes
        .map((e) => `${e.episodeId} (${e.runIds.length} run${e.runIds.length === 1 ? '' : 's'})`)
        .join(', ');
      console.log(
        `intact: ${verdict.count} records from ${episodes} in namespace ${verdict.header.identity.namespace}, exported ${verdict.header.exportedAt}; final hash ${verdict.finalHash}`,
      );
    }),
  );
