/**
 * Workflow entry point for the worker bundle. Deterministic code only: imports `agent/` (pure) and
 * activity types; no I/O, clock or randomness outside Temporal's APIs. Every exported function
 * becomes a workflow type, so helpers (ids, record readers) are imported from `src/episode`.
 */
export { episodeWorkflow } from './episode';
export { subtaskWorkflow } from './subtask';
export { reactWorkflow } from './react';
export { evalWorkflow } from './eval';
export { trainingWorkflow } from './training';
export { cancelSignal, episodeProgressQuery, transitionsQuery } from '../episode/messages';
// Declares each workflow type's Worker Versioning behaviour (PINNED episodes, AUTO_UPGRADE eval).
import './versioning';
