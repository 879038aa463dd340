/**
 * A tiny workflow for the dev-server restart test: it waits for a `go` signal, then calls one
 * activity and returns its result. Kept separate from the step-hrl workflows so the test depends
 * only on Temporal and the embedded server.
 */
import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';

/** Activities the waiter calls (implemented by the test's worker). */
export interface WaiterActivities {
  greet(name: string): Promise<string>;
}

/** Releases the waiter with a name to greet. */
export const goSignal = defineSignal<[string]>('go');

const { greet } = proxyActivities<WaiterActivities>({ startToCloseTimeout: '30 seconds' });

/** Waits for {@link goSignal}, then returns `greet(name)`. */
export async function waiter(): Promise<string> {
  let name: string | undefined;
  setHandler(goSignal, (value) => {
    name = value;
  });
  await condition(() => name !== undefined);
  return greet(name!);
}
