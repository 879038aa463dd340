/** Placeholder replaced by the foundation work: starts one Temporal dev server per jest run. */
export default async function globalSetup(): Promise<void> {
  if (process.env.STEP_HRL_TEST_NO_TEMPORAL === '1') return;
}
