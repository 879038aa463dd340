/** Activity factories and the type workflows proxy against (type-only). */
import type { createEnvActivities } from './env';
import type { createLivenessActivities } from './liveness';
import type { createPolicyActivities } from './policy';

export { createEnvActivities, observationHash, type EnvFactory, type EnvCounters } from './env';
export { createLivenessActivities, livenessQueue } from './liveness';
export { createPolicyActivities, type CallCounter } from './policy';
export { heartbeatWhileRunning } from './heartbeat-interceptor';
export { HEARTBEAT_EVERY_MS, HEARTBEAT_THROTTLE_MS, HEARTBEAT_TIMEOUT_MS } from './types';
import type { StepHrlActivityTypes } from './types';

/** Every activity a step-hrl worker registers. */
export type StepHrlActivities = ReturnType<typeof createPolicyActivities> &
  ReturnType<typeof createEnvActivities> &
  ReturnType<typeof createLivenessActivities>;

/** The implementations answer what the workflows call (a compile-time check, no code). */
export type ImplementsActivityTypes = StepHrlActivities extends StepHrlActivityTypes ? true : never;
const implementsActivityTypes: ImplementsActivityTypes = true;
void implementsActivityTypes;
