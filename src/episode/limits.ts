/** Limits the workflows enforce and clients check before sending. */

/**
 * How long the progress call after an applied step may still run once the subtask is cancelled:
 * a model that answers normally finishes it (the step is recorded whole); one that is down (an
 * outage the call would wait out for its whole budget) is abandoned, the step kept without it.
 */
export const PROGRESS_CANCEL_GRACE_SECONDS = 10;

/** Largest concurrency an eval accepts (`--concurrency`, the `setConcurrency` update). */
export const MAX_EVAL_CONCURRENCY = 1024;
