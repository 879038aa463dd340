/**
 * The export's hash chain (format in docs/export-format.md): a header line naming the run identity,
 * one line per record `{ seq, prevHash, hash, record }`, and an end line committing to the count.
 * Each hash is SHA-256 over the canonical JSON (`canonical-json.ts`) of what it covers; the chain
 * starts at the header's hash, so every record also commits to the identity. Generic over records:
 * nothing here reads a record's fields.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';

/** `kind` of the first line of an export. */
export const EXPORT_HEADER_KIND = 'step-hrl-export';
/** `kind` of the last line of an export. */
export const EXPORT_END_KIND = 'step-hrl-export-end';
/** Version of this file format (not of the records inside). */
export const EXPORT_FORMAT_VERSION = 1;
/** The only hash algorithm written. */
export const HASH_ALGORITHM = 'sha256';
/** How hashed values are serialised. */
export const CANONICALIZATION = 'JCS (RFC 8785): sorted keys, no whitespace';

/** One episode in an export: its workflow id and the workflow runs its record was read from, oldest first. */
export interface EpisodeIdentity {
  episodeId: string;
  runIds: string[];
}

/** Which runs an export's records come from: every record's hash commits to this. */
export interface RunIdentity {
  namespace: string;
  episodes: EpisodeIdentity[];
}

/** First line of an export. */
export interface ExportHeader {
  kind: typeof EXPORT_HEADER_KIND;
  formatVersion: number;
  hashAlgorithm: string;
  canonicalization: string;
  identity: RunIdentity;
  stepHrlVersion: string;
  /** The `version` values of the records inside (e.g. `[1]`). */
  recordVersions: number[];
  /** ISO-8601 time of the export. */
  exportedAt: string;
  /** Hash of this header without `hash`; record 0's `prevHash`. */
  hash: string;
}

/** One record line. */
export interface ChainedRecord {
  seq: number;
  prevHash: string;
  hash: string;
  record: unknown;
}

/** Last line: commits to how many records there are and to the last one, so truncation is detected. */
export interface ExportEnd {
  kind: typeof EXPORT_END_KIND;
  count: number;
  lastHash: string;
  hash: string;
}

/** Lower-case hex SHA-256 of the canonical JSON of `value`. */
export function hashOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}

/** The hash a header must carry. */
export function headerHash(header: Omit<ExportHeader, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...covered } = header;
  return hashOf(covered);
}

/** The hash a record line must carry: over (seq, prevHash, run identity, record). */
export function recordHash(seq: number, prevHash: string, identity: RunIdentity, record: unknown): string {
  return hashOf({ seq, prevHash, identity, record });
}

/** The hash an end line must carry. */
export function endHash(count: number, lastHash: string): string {
  return hashOf({ kind: EXPORT_END_KIND, count, lastHash });
}

/** What the header states besides the hash fields this module fills in. */
export type HeaderFields = Pick<ExportHeader, 'identity' | 'stepHrlVersion' | 'recordVersions' | 'exportedAt'>;

/** Builds the export's lines (no trailing newlines): header, one per record, end. */
export function chainLines(fields: HeaderFields, records: readonly unknown[]): string[] {
  const unhashed = {
    kind: EXPORT_HEADER_KIND,
    formatVersion: EXPORT_FORMAT_VERSION,
    hashAlgorithm: HASH_ALGORITHM,
    canonicalization: CANONICALIZATION,
    ...fields,
  } as const;
  const header: ExportHeader = { ...unhashed, hash: headerHash(unhashed) };
  const lines = [JSON.stringify(header)];
  let prevHash = header.hash;
  records.forEach((value, seq) => {
    // Hash what a reader will parse back (undefined fields dropped), not the in-memory value.
    const record: unknown = JSON.parse(JSON.stringify(value) ?? 'null');
    const line: ChainedRecord = { seq, prevHash, hash: recordHash(seq, prevHash, fields.identity, record), record };
    lines.push(JSON.stringify(line));
    prevHash = line.hash;
  });
  const end: ExportEnd = {
    kind: EXPORT_END_KIND,
    count: records.length,
    lastHash: prevHash,
    hash: endHash(records.length, prevHash),
  };
  lines.push(JSON.stringify(end));
  return lines;
}
