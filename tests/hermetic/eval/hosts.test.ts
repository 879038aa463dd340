/** Which host served each episode of an eval (several hosts, one eval): recorded, counted, rendered. */
import type { EnvLease } from '../../../src/activities/types';
import { initialState, episodeResultOf } from '../../../src/episode/episode-state';
import { outcomeOfResult } from '../../../src/episode/eval-outcome';
import { initialReactState, reactResultOf } from '../../../src/episode/react-state';
import { adoptRedrive, hostOfLease } from '../../../src/episode/redrive';
import { hostShares, hostsLine } from '../../../src/eval/hosts';
import { renderResultsMarkdown } from '../../../src/eval/render';
import { outcome, results } from '../../support/eval-outcomes';

const lease = (identity?: string): EnvLease => ({ envQueue: 'q.env.abc', incarnation: 'abc', identity });
const reset = {
  observation: { text: 'You are in a room.' },
  taskDescription: 'task',
  score: 0,
  obsHash: 'h',
  versions: {},
};

test('the host is read from the worker identity of the lease; older answers have none', () => {
  expect(hostOfLease(lease('4211@host-2 sh:0123456789abc:1a2b3c4d:lz8k2'))).toBe('host-2');
  expect(hostOfLease(lease())).toBeUndefined();
  expect(hostOfLease('step-hrl.env.abc')).toBeUndefined();
});

test('an episode records the reset host, then each re-drive host, into its result and outcome', () => {
  const s = initialState(reset as never, 'q.env.a', 'host-1');
  expect(adoptRedrive(s, { redrives: 1, envQueue: 'q.env.b', host: 'host-3' })).toBeUndefined();
  expect(s.envQueue).toBe('q.env.b');
  expect(adoptRedrive(s, { redrives: 1, error: 'divergence at step 2' })).toBe('divergence at step 2');
  expect(s.envQueue).toBe('q.env.b');
  const result = episodeResultOf('ep-1', s, { status: 'env-done', redrives: 1 });
  expect(result.envHosts).toEqual(['host-1', 'host-3']);
  expect(outcomeOfResult(0, result).hosts).toEqual(['host-1', 'host-3']);
  // Unknown hosts leave the field out altogether.
  expect(
    episodeResultOf('ep-2', initialState(reset as never, 'q'), { status: 'env-done', redrives: 0 }),
  ).not.toHaveProperty('envHosts');
});

test('a ReAct episode records its hosts the same way', () => {
  const s = initialReactState(reset as never, 'q.env.a', 'host-2');
  adoptRedrive(s, { redrives: 1, envQueue: 'q.env.c', host: 'host-1' });
  expect(reactResultOf('ep-r', s, [], { status: 'env-done' }).envHosts).toEqual(['host-2', 'host-1']);
});

test('shares per host: episodes opened there and re-drives taken over; shown only for several hosts', () => {
  const outcomes = [
    outcome(0, 'a', { hosts: ['host-1'] }),
    outcome(1, 'a', { hosts: ['host-2', 'host-1'] }),
    outcome(2, 'a', { hosts: ['host-1'] }),
    outcome(3, 'a', { hosts: ['host-3', 'host-2'] }),
    outcome(4, 'a', {}),
  ];
  expect(hostShares(outcomes)).toEqual([
    { host: 'host-1', episodes: 2, redrives: 1 },
    { host: 'host-2', episodes: 1, redrives: 1 },
    { host: 'host-3', episodes: 1, redrives: 0 },
  ]);
  expect(hostsLine(outcomes)).toBe(
    'hosts: host-1 2 episodes (1 re-drive), host-2 1 episode (1 re-drive), host-3 1 episode',
  );
  expect(renderResultsMarkdown(results(outcomes))).toContain('| host-2 | 1 | 1 |');

  const oneHost = [outcome(0, 'a', { hosts: ['host-1'] }), outcome(1, 'a', { hosts: ['host-1'] })];
  expect(hostsLine(oneHost)).toBeUndefined();
  expect(renderResultsMarkdown(results(oneHost))).not.toContain('By host');
});
