/** Activity factories and the type workflows proxy against (type-only). */
import type { createEnvActivities } from './env';
import type { createPolicyActivities } from './policy';

export { createEnvActivities, observationHash, type EnvFactory, type EnvCounters } from './env';
export { createPolicyActivities, type CallCounter } from './policy';

/** Every activity a step-hrl worker registers. */
export type StepHrlActivities = ReturnType<typeof createPolicyActivities> & ReturnType<typeof createEnvActivities>;
