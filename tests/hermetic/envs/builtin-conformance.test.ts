/** The built-in env passes the same TextEnv conformance suite as ScienceWorld and ALFWorld. */
import { BuiltinTextEnv, goldActions } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { textEnvConformance } from '../../support/text-env-conformance';

for (const task of ['boil-water', 'find-key-open-chest']) {
  const spec: EnvSpec = { env: 'builtin', task, variation: 7 };
  textEnvConformance({
    name: `builtin ${task}`,
    create: async () => new BuiltinTextEnv(),
    spec,
    solution: goldActions(spec),
  });
}
