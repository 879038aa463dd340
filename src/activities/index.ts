/** Activity factories and the type workflows proxy against (type-only). */
import type { createEnvActivities } from './env';
import type { createLivenessActivities } from './liveness';
import type { createPolicyActivities } from './policy';

export { createEnvActivities, observationHash, type EnvFactory, type EnvCounters } from './env';
export { createLivenessActivities, livenessQueue } from './liveness';
export { createPolicyActivities, type CallCounter } from './policy';
export { heartbeatWhileRunning, HEARTBEAT_EVERY_MS } from './heartbeat-interceptor';

/** Every activity a step-hrl worker registers. */
export type StepHrlActivities = ReturnType<typeof createPolicyActivities> &
  ReturnType<typeof createEnvActivities> &
  ReturnType<typeof createLivenessActivities>;
