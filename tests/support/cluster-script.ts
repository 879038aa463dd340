/**
 * Runs `scripts/cluster.sh` (the production-style cluster, issue 20) for tests: one cluster per
 * folder on its own ports, so a developer's cluster is left alone.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT, type CliResult } from './cli-harness';

/** A cluster a test owns: its folder and frontend port (PostgreSQL sits 1801 below). */
export interface TestCluster {
  dir: string;
  port: number;
}

/** Runs `scripts/cluster.sh <args>` on `cluster`; resolves with its output, exit code and duration. */
export function clusterScript(
  cluster: TestCluster,
  args: string[],
  timeoutMs: number,
  extraEnv: Record<string, string> = {},
): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(ROOT, 'scripts', 'cluster.sh'), ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        STEP_HRL_CLUSTER_DIR: cluster.dir,
        STEP_HRL_CLUSTER_PORT: String(cluster.port),
        STEP_HRL_CLUSTER_PG_PORT: String(cluster.port - 1801),
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}
