/**
 * Where an evaluation's episodes ran, when several hosts served it (docs/deploy.md, "Several hosts
 * on one eval"): per host, the episodes whose env session it opened and the re-drives it took over.
 */
import type { SlimOutcome } from '../episode/eval-types';

/** One host's share of an evaluation. */
export interface HostShare {
  host: string;
  /** Episodes whose first env session this host opened. */
  episodes: number;
  /** Lost sessions of other hosts (or its own) it re-drove. */
  redrives: number;
}

/** Each host's share, busiest first; empty when no outcome names a host. */
export function hostShares(outcomes: readonly SlimOutcome[]): HostShare[] {
  const shares = new Map<string, HostShare>();
  const shareOf = (host: string): HostShare => {
    let share = shares.get(host);
    if (!share) shares.set(host, (share = { host, episodes: 0, redrives: 0 }));
    return share;
  };
  for (const { hosts = [] } of outcomes) {
    hosts.forEach((host, i) => (i === 0 ? shareOf(host).episodes++ : shareOf(host).redrives++));
  }
  return [...shares.values()].sort((a, b) => b.episodes - a.episodes || a.host.localeCompare(b.host));
}

/** `hosts: a 39 episodes (2 re-drives), b 11, ...`, or undefined when one host (or none) served the eval. */
export function hostsLine(outcomes: readonly SlimOutcome[]): string | undefined {
  const shares = hostShares(outcomes);
  if (shares.length < 2) return undefined;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const part = (s: HostShare) =>
    `${s.host} ${plural(s.episodes, 'episode')}${s.redrives ? ` (${plural(s.redrives, 're-drive')})` : ''}`;
  return `hosts: ${shares.map(part).join(', ')}`;
}
