/**
 * Checks an export's hash chain (`hash-chain.ts`) and names the first thing that is wrong: a record
 * edited, removed or moved, the header changed, or the file cut short. Pure: takes the file's text.
 */
import {
  EXPORT_END_KIND,
  EXPORT_HEADER_KIND,
  HASH_ALGORITHM,
  endHash,
  headerHash,
  recordHash,
  type ExportEnd,
  type ExportHeader,
} from './hash-chain';

/** What kind of damage was found. */
export type ChainProblem = 'not-export' | 'header-changed' | 'edited' | 'removed' | 'reordered' | 'truncated';

/** An intact export. */
export interface ChainIntact {
  ok: true;
  header: ExportHeader;
  count: number;
  /** Hash of the end line: publish it to let others check they hold the same export. */
  finalHash: string;
}

/** A damaged export (or not an export at all). */
export interface ChainBroken {
  ok: false;
  problem: ChainProblem;
  /** Sequence number of the first bad record, when one is to blame. */
  seq?: number;
  /** One line naming the record (seq and line number) and what is wrong with it. */
  message: string;
}

/** Result of {@link verifyExportText}. */
export type ChainVerdict = ChainIntact | ChainBroken;

interface Line {
  number: number;
  value?: Record<string, unknown>;
  text: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseLines(text: string): Line[] {
  const lines: Line[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = undefined;
    }
    lines.push({ number: i + 1, value: isObject(value) ? value : undefined, text: raw });
  });
  return lines;
}

const broken = (problem: ChainProblem, message: string, seq?: number): ChainBroken => ({
  ok: false,
  problem,
  message,
  ...(seq !== undefined ? { seq } : {}),
});

/** The header when it is sound, else what is wrong with it. */
function checkHeader(first: Line | undefined, what: string): ChainBroken | ExportHeader {
  const value = first?.value;
  if (!value || value.kind !== EXPORT_HEADER_KIND) {
    const plain = value && 'episodeId' in value && 'subtaskIndex' in value; // a step or high-level record
    return broken(
      'not-export',
      plain
        ? `${what} is a plain transitions JSONL without a hash chain (written by an older step-hrl); export it again with \`step-hrl export <id> --out <file>\``
        : `${what} is not a step-hrl export: its first line is not an export header; write one with \`step-hrl export <id> --out <file>\``,
    );
  }
  if (value.hashAlgorithm !== HASH_ALGORITHM)
    return broken(
      'not-export',
      `${what} uses hash algorithm ${JSON.stringify(value.hashAlgorithm)}; this step-hrl checks ${HASH_ALGORITHM} only`,
    );
  const header = value as unknown as ExportHeader;
  if (typeof header.hash !== 'string' || headerHash(header) !== header.hash || !isObject(header.identity))
    return broken('header-changed', `header changed (line ${first!.number}): its hash does not match its content`);
  return header;
}

/** Where a later line claims sequence number `seq`, if any. */
function laterPosition(records: Line[], from: number, seq: number): number {
  return records.findIndex((l, i) => i > from && l.value?.seq === seq);
}

/** Checks an export's text; `what` names the file in messages. */
export function verifyExportText(text: string, what = 'the file'): ChainVerdict {
  const lines = parseLines(text);
  const header = checkHeader(lines[0], what);
  if ('ok' in header) return header;

  const endAt = lines.findIndex((l) => l.value?.kind === EXPORT_END_KIND);
  const records = lines.slice(1, endAt === -1 ? undefined : endAt);
  let prevHash = header.hash;
  for (const [position, line] of records.entries()) {
    const after = position === 0 ? 'the header' : `seq ${position - 1}`;
    const value = line.value;
    if (!value || typeof value.seq !== 'number' || typeof value.hash !== 'string') {
      const last = position === records.length - 1 && endAt === -1;
      return last
        ? broken('truncated', `truncated: line ${line.number} (after ${after}) is cut short`, position)
        : broken(
            'edited',
            `record after ${after} (line ${line.number}) was edited: it is not a chained record`,
            position,
          );
    }
    const seq = value.seq;
    // Header rewritten with a fresh hash: the first record no longer chains to it.
    if (seq === 0 && position === 0 && value.prevHash !== header.hash)
      return broken('header-changed', `header changed: record seq 0 (line ${line.number}) does not chain to it`);
    if (recordHash(seq, String(value.prevHash), header.identity, value.record) !== value.hash)
      return broken(
        'edited',
        `record seq ${seq} (line ${line.number}) was edited: its hash does not match its content`,
        seq,
      );
    if (seq !== position) {
      const expectedAt = laterPosition(records, position, position);
      if (seq > position && expectedAt === -1)
        return broken(
          'removed',
          seq === position + 1
            ? `record seq ${position} was removed: line ${line.number} holds seq ${seq} right after ${after}`
            : `records seq ${position}-${seq - 1} were removed: line ${line.number} holds seq ${seq} right after ${after}`,
          position,
        );
      return broken(
        'reordered',
        expectedAt !== -1
          ? `records reordered: seq ${seq} (line ${line.number}) comes before seq ${position} (line ${records[expectedAt].number})`
          : `records reordered: seq ${seq} (line ${line.number}) appears again after ${after}`,
        Math.min(seq, position),
      );
    }
    if (value.prevHash !== prevHash)
      return broken(
        'edited',
        `chain broken at seq ${seq} (line ${line.number}): its prevHash is not the hash of ${after} (that record was edited and re-hashed)`,
        Math.max(seq - 1, 0),
      );
    prevHash = value.hash;
  }

  const count = records.length;
  const lastSeq = count === 0 ? 'the header' : `seq ${count - 1}`;
  if (endAt === -1)
    return broken('truncated', `truncated after ${lastSeq}: the end line (record count) is missing`, count);
  const end = lines[endAt].value as unknown as ExportEnd;
  if (endHash(end.count, end.lastHash) !== end.hash)
    return broken('edited', `end line (line ${lines[endAt].number}) was edited: its hash does not match its content`);
  if (end.count !== count || end.lastHash !== prevHash) {
    const missing = end.count - count;
    return end.count > count
      ? broken(
          'truncated',
          `truncated: the end line commits to ${end.count} records but ${count} are present (${missing === 1 ? `seq ${count} is` : `seq ${count}-${end.count - 1} are`} missing)`,
          count,
        )
      : broken(
          'edited',
          `the end line commits to ${end.count} records but ${count} are present (records were added)`,
          end.count,
        );
  }
  const extra = lines[endAt + 1];
  if (extra) return broken('edited', `line ${extra.number} follows the end line: content was appended`);
  return { ok: true, header, count, finalHash: end.hash };
}
