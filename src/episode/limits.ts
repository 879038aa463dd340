/** Limits the workflows enforce and clients check before sending. */

/** Largest concurrency an eval accepts (`--concurrency`, the `setConcurrency` update). */
export const MAX_EVAL_CONCURRENCY = 1024;
