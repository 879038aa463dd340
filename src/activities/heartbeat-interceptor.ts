/**
 * Heartbeats every activity from the moment it starts until it settles, whatever it awaits (a
 * slot in a serial model, an env factory, a queued HTTP call). A worker killed mid-activity is then
 * noticed within the heartbeat timeout, and a call waiting behind others is never mistaken for a
 * dead one. Heartbeats also deliver cancellation: an activity sees it through its Context.
 */
import { Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';

/** Heartbeat period; pair it with a heartbeat timeout of a few periods (the env proxies use 5 s). */
export const HEARTBEAT_EVERY_MS = 1000;

/** Interceptor factory for `Worker.create({ interceptors: { activity: [...] } })`. */
export const heartbeatWhileRunning: ActivityInterceptorsFactory = (ctx: Context) => {
  const inbound: ActivityInboundCallsInterceptor = {
    async execute(input, next) {
      const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        return await next(input);
      } finally {
        clearInterval(timer);
      }
    },
  };
  return { inbound };
};
