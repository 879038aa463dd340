/**
 * ScienceWorld episodes for chaos runs: tasks/variations whose gold path (from a fresh session)
 * scores 100 in at most 15 steps, and whose move-segmented expert plan has no repeated subtask (the
 * scripted expert counts issued subtasks by their text, so a repeated one would skip a leg).
 * No find-animal / find-living-thing: their animals move differently in a new simulator, so a
 * re-driven prefix can end in EnvDivergence (seen on find-animal/1): right for the runtime, but
 * not a record that can equal the uninterrupted one.
 */
import type { EnvSpec } from '../../src/envs/text-env';

const sw = (task: string, variation: number): EnvSpec => ({ env: 'scienceworld', task, variation });

/** 21 episodes, 3-15 gold steps each. */
export const CHAOS_EPISODES: readonly EnvSpec[] = [
  sw('power-component', 0),
  sw('power-component', 1),
  sw('power-component', 2),
  sw('power-component-renewable-vs-nonrenewable-energy', 1),
  sw('find-non-living-thing', 0),
  sw('find-non-living-thing', 1),
  sw('find-non-living-thing', 2),
  sw('find-plant', 0),
  sw('find-plant', 2),
  sw('chemistry-mix-paint-secondary-color', 1),
  sw('chemistry-mix-paint-tertiary-color', 1),
  sw('lifespan-longest-lived', 0),
  sw('lifespan-longest-lived', 1),
  sw('lifespan-longest-lived', 2),
  sw('lifespan-shortest-lived', 0),
  sw('lifespan-shortest-lived', 1),
  sw('lifespan-shortest-lived', 2),
  sw('lifespan-longest-lived-then-shortest-lived', 0),
  sw('lifespan-longest-lived-then-shortest-lived', 1),
  sw('lifespan-longest-lived-then-shortest-lived', 2),
  sw('identify-life-stages-2', 2),
];
