/**
 * Heartbeats every activity from the moment it starts until it settles, whatever it awaits (a
 * slot in a serial model, an env factory, a queued HTTP call). A worker killed mid-activity is then
 * noticed within the heartbeat timeout, and a call waiting behind others is never mistaken for a
 * dead one. Heartbeats carry the attempt's progress (`heartbeat.ts`) and deliver cancellation: an
 * activity sees it through its Context.
 */
import type { Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { startHeartbeats } from './heartbeat';

export { HEARTBEAT_EVERY_MS } from './types';

/**
 * Interceptor factory for `Worker.create({ interceptors: { activity: [...] } })`. Pair it with
 * the worker option `maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE_MS` and activity heartbeat
 * timeouts of `HEARTBEAT_TIMEOUT_MS` (`./types`).
 */
export const heartbeatWhileRunning: ActivityInterceptorsFactory = (ctx: Context) => {
  const inbound: ActivityInboundCallsInterceptor = {
    async execute(input, next) {
      const stop = startHeartbeats(ctx);
      try {
        return await next(input);
      } finally {
        stop();
      }
    },
  };
  return { inbound };
};
