/** The workflows' messages live in the episode core (src/episode/messages.ts); re-exported for old import paths. */
export {
  cancelSignal,
  episodeProgressQuery,
  transitionsQuery,
  reactStepsQuery,
  type EpisodeWorkflow,
  type SubtaskWorkflow,
  type ReactWorkflow,
  type EvalWorkflow,
} from '../episode/messages';
export type { EpisodeProgress } from '../episode/records';
