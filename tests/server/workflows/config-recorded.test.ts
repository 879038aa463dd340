/**
 * Config defaults are resolved once, at start (issue 9 item 4): the start input in the history
 * holds every config field, so a default changed in a later release never changes the commands of
 * a running episode (its workflow code reads the recorded value).
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { DEFAULT_EPISODE_CONFIG, DEFAULT_HIGH_LEVEL_WINDOW, type EpisodeConfig } from '../../../src/agent/config';
import { startEpisode, startReact } from '../../../src/client';
import type { EnvSpec } from '../../../src/envs/text-env';
import { connectTestTemporal, queueFor, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

const spec: EnvSpec = { env: 'builtin', task: 'boil-water', variation: 0 };

test.each([
  ['episode', startEpisode],
  ['react', startReact],
] as const)('the %s start input records every config field, defaults resolved', async (name, start) => {
  const taskQueue = queueFor(`config-recorded-${name}`); // nothing polls it: only the start event matters
  const partial: Partial<EpisodeConfig> & { spec: EnvSpec } = {
    spec,
    maxSteps: 7,
    decoding: { low: { maxTokens: 40, temperature: 0 } } as EpisodeConfig['decoding'],
  };
  const handle = await start(t.client, { episodeId: `ep-${taskQueue}`, taskQueue, config: partial });
  try {
    const history = await handle.fetchHistory();
    const payload = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
    const { config } = defaultPayloadConverter.fromPayload(payload) as { config: Record<string, unknown> };
    const expected: EpisodeConfig = {
      ...DEFAULT_EPISODE_CONFIG,
      spec,
      highLevelWindow: DEFAULT_HIGH_LEVEL_WINDOW, // the chat profile's bounded high level, in the history
      maxSteps: 7,
      decoding: { ...DEFAULT_EPISODE_CONFIG.decoding, low: { maxTokens: 40, temperature: 0 } },
    };
    expect(Object.keys(config).sort()).toEqual(Object.keys(expected).sort());
    expect(config).toEqual(expected);
  } finally {
    await handle.terminate('test done');
  }
});
