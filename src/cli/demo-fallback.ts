/**
 * The demo without ALFWorld data: `step-hrl demo` plays the built-in env instead of its ALFWorld
 * game, with a notice, so the demo works before (or without) any download.
 */
import { ALFWORLD_DATA_HELP, checksAlfWorldDataLocally, findAlfWorldData } from '../envs/alfworld-data';
import { DEMO_GAME } from '../envs/demo-game';
import type { EpisodeFlags } from './episode-options';
import type { Output } from './output';

/** The demo's step budget (a CPU model is slow); too short for the built-in task's gold path. */
export const DEMO_MAX_STEPS = '6';
/** Built-in task the demo falls back to, and the budget it gets when the demo's default was kept. */
export const FALLBACK_TASK = 'boil-water';
export const FALLBACK_MAX_STEPS = '12';

/**
 * The flags the demo runs with: unchanged when its ALFWorld game can be played (or another
 * env/game was asked for, or a configured env server decides), else the built-in env's.
 */
export function demoFlagsWithFallback<F extends EpisodeFlags>(flags: F, out: Output): F {
  if (flags.env !== 'alfworld' || flags.task !== DEMO_GAME || !checksAlfWorldDataLocally()) return flags;
  const lookup = findAlfWorldData();
  if (lookup.found) return flags;
  out.line(
    `no ALFWorld data found, so the demo plays the built-in env (${FALLBACK_TASK}) instead; ` +
      `for the real ALFWorld games, ${ALFWORLD_DATA_HELP}`,
  );
  return {
    ...flags,
    env: 'builtin',
    task: FALLBACK_TASK,
    split: undefined,
    maxSteps: flags.maxSteps === DEMO_MAX_STEPS ? FALLBACK_MAX_STEPS : flags.maxSteps,
  };
}
