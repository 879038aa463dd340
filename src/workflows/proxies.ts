/**
 * Activity proxies with the options of `src/episode/activity-options.ts`. Policy calls run on the
 * shared queue; env calls on the queue of the worker that owns the session (session pinning).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { StepHrlActivityTypes as StepHrlActivities } from '../activities/types';
import { ACQUIRE_OPTIONS, envOptions, livenessOptions, policyOptions } from '../episode/activity-options';

/** Policy activities that wait out an outage of up to `outageBudgetSeconds` ({@link policyOptions}). */
export function policyFor(outageBudgetSeconds: number) {
  return proxyActivities<StepHrlActivities>(policyOptions(outageBudgetSeconds));
}

/** Env activities pinned to `queue` ({@link envOptions}). */
export function envOn(queue: string, queueTimeoutSeconds: number) {
  return proxyActivities<StepHrlActivities>(envOptions(queue, queueTimeoutSeconds));
}

/** Finds the env queue of a live worker (any worker polling the shared queue). */
export const { acquireEnvQueue } = proxyActivities<StepHrlActivities>(ACQUIRE_OPTIONS);

/** The liveness ping of the worker pinned to `queue` ({@link livenessOptions}). */
export function livenessOn(queue: string, timeoutSeconds: number) {
  return proxyActivities<StepHrlActivities>(livenessOptions(queue, timeoutSeconds));
}
