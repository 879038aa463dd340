/** Activities of the no-op floor (see floor-workflows.ts): each returns at once. */

/** Creates the floor activities; `envQueue` is what `floorAcquireEnvQueue` hands out. */
export function createFloorActivities(envQueue: string) {
  return {
    async floorAcquireEnvQueue(): Promise<string> {
      return envQueue;
    },
    async floorNoop(_what: string): Promise<void> {
      return undefined;
    },
  };
}

/** The floor's activity interface, for `proxyActivities`. */
export type FloorActivities = ReturnType<typeof createFloorActivities>;
