/** Stops what global-setup started. */
export default async function globalTeardown(): Promise<void> {
  if (process.env.STEP_HRL_TEST_NO_TEMPORAL === '1') return;
}
