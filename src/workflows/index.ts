/**
 * Workflow entry point for the worker bundle. Deterministic code only: imports `agent/` (pure) and
 * activity types; no I/O, clock or randomness outside Temporal's APIs.
 */
export { episodeWorkflow } from './episode';
export { subtaskWorkflowId } from '../episode/ids';
export { subtaskWorkflow } from './subtask';
export { reactWorkflow } from './react';
export { evalWorkflow } from './eval';
export { trainingWorkflow } from './training';
export { cancelSignal, episodeProgressQuery, transitionsQuery } from '../episode/messages';
// Declares each workflow type's Worker Versioning behaviour (PINNED episodes, AUTO_UPGRADE eval).
import './versioning';
