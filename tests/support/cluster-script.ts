/**
 * Runs `scripts/cluster.sh` (the production-style cluster, issue 20) for tests: one cluster per
 * folder on its own ports, so a developer's cluster is left alone.
 */
import path from 'node:path';
import { ROOT, runProcess, type CliResult } from './cli-harness';

/** A cluster a test owns: its folder and frontend port (PostgreSQL sits 1801 below). */
export interface TestCluster {
  dir: string;
  port: number;
}

/** Runs `scripts/cluster.sh <args>` on `cluster`; resolves with its output, exit code and duration. */
export async function clusterScript(
  cluster: TestCluster,
  args: string[],
  timeoutMs: number,
  extraEnv: Record<string, string> = {},
): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  const env = {
    ...process.env,
    STEP_HRL_CLUSTER_DIR: cluster.dir,
    STEP_HRL_CLUSTER_PORT: String(cluster.port),
    STEP_HRL_CLUSTER_PG_PORT: String(cluster.port - 1801),
    ...extraEnv,
  };
  const run = await runProcess('bash', [path.join(ROOT, 'scripts', 'cluster.sh'), ...args], env, timeoutMs);
  return { ...run, ms: Date.now() - started };
}
