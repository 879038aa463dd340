/**
 * Live progress of an evaluation: a progress bar on a terminal (episodes done/total, success rate,
 * mean score, tokens, episodes/min, ETA), a line every few seconds otherwise, and `eval-progress`
 * JSON events with `--json`. Rates are measured by this process (since it attached).
 */
import { SingleBar } from 'cli-progress';
import type { Output } from './output';
import type { EvalProgress } from '../episode/eval-types';

/** What one progress update shows, derived from the eval's query answer. */
export interface ProgressFigures {
  done: number;
  total: number;
  running: number;
  won: number;
  failed: number;
  successRate: number;
  meanScore: number;
  tokens: number;
  spentTokens: number;
  episodesPerMinute: number;
  etaSeconds: number | undefined;
}

/** Figures of one progress answer, given when this process first saw the eval and how far it was. */
export function progressFigures(
  p: EvalProgress,
  since: { atMs: number; done: number },
  nowMs: number,
): ProgressFigures {
  const minutes = (nowMs - since.atMs) / 60_000;
  const finishedHere = p.done - since.done;
  const perMinute = minutes > 0 && finishedHere > 0 ? finishedHere / minutes : 0;
  return {
    done: p.done,
    total: p.total,
    running: p.running.length,
    won: p.won,
    failed: p.failed,
    successRate: p.done ? p.won / p.done : 0,
    meanScore: p.done ? p.scoreSum / p.done : 0,
    tokens: p.tokens,
    spentTokens: p.spentTokens,
    episodesPerMinute: perMinute,
    etaSeconds: perMinute > 0 ? ((p.total - p.done) / perMinute) * 60 : undefined,
  };
}

/** Shows progress updates; `stop()` before printing anything else. */
export interface ProgressView {
  update(p: EvalProgress): void;
  stop(): void;
}

/** A view for the output mode: bar on a TTY, periodic lines otherwise, JSON events with `--json`. */
export function createProgressView(out: Output, json: boolean, tty = Boolean(process.stderr.isTTY)): ProgressView {
  let since: { atMs: number; done: number } | undefined;
  let lastLineMs = 0;
  let lastDone = -1;
  const bar =
    !json && tty
      ? new SingleBar({
          format:
            'eval {bar} {value}/{total} | won {won} ({rate}%) | mean score {score} | {tokens} tokens | {epm} ep/min | ETA {eta_text}',
          hideCursor: true,
          clearOnComplete: false,
        })
      : undefined;
  let barStarted = false;
  return {
    update(p) {
      const now = Date.now();
      since ??= { atMs: now, done: p.done };
      const f = progressFigures(p, since, now);
      const fields = {
        won: f.won,
        rate: (100 * f.successRate).toFixed(1),
        score: f.meanScore.toFixed(2),
        tokens: f.tokens,
        epm: f.episodesPerMinute.toFixed(1),
        eta_text: f.etaSeconds === undefined ? '?' : formatDuration(f.etaSeconds),
      };
      if (bar) {
        if (!barStarted) bar.start(f.total, f.done, fields);
        else bar.update(f.done, fields);
        barStarted = true;
        return;
      }
      // Machines get every change; people without a terminal a line per change (at most every 5 s),
      // and one every 30 s while nothing finishes, so a long episode does not look like a hang.
      const changed = f.done !== lastDone;
      if (json ? !changed : changed ? now - lastLineMs < 5_000 && f.done !== f.total : now - lastLineMs < 30_000)
        return;
      lastDone = f.done;
      lastLineMs = now;
      out.event(
        'eval-progress',
        { ...f },
        `${f.done}/${f.total} episodes, ${f.running} running | won ${f.won} (${fields.rate}%) | mean score ` +
          `${fields.score} | ${f.tokens} tokens | ${fields.epm} ep/min | ETA ${fields.eta_text}`,
      );
    },
    stop() {
      if (barStarted) bar?.stop();
    },
  };
}

/** `1h02m`, `3m05s`, `42s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}
