/** Stops the dev server global-setup started. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__STEP_HRL_DEV_SERVER__?.stop();
}
