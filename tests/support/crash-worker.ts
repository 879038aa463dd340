/**
 * A real step-hrl worker in its own process, for crash tests: it journals every LLM call and every
 * env step it makes to a JSONL file, and can block before applying a given step so the test can
 * SIGKILL it mid-subtask (or right after it was chosen as the episode's env worker, before the
 * reset). Configured by environment variables (see crash test).
 */
import { appendFileSync } from 'node:fs';
import { NativeConnection } from '@temporalio/worker';
import { BuiltinTextEnv, goldSubtasks } from '../../src/envs/builtin';
import type { EnvSpec, TextEnv } from '../../src/envs/text-env';
import { expertPolicyRules } from '../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../src/llm/scripted-client';
import type { LlmClient } from '../../src/llm/types';
import { createStepHrlWorker } from '../../src/worker';
import './quiet-runtime';

const journal = process.env.CRASH_JOURNAL!;
const blockAt = Number(process.env.CRASH_BLOCK_AT_STEP ?? -1);
/** Hang when asked for an env session: acquireEnvQueue has completed, envReset has not reset anything. */
const blockAtReset = process.env.CRASH_BLOCK_AT_RESET === '1';
const spec = JSON.parse(process.env.CRASH_SPEC!) as EnvSpec;
const note = (entry: object) => appendFileSync(journal, JSON.stringify({ pid: process.pid, ...entry }) + '\n');

class JournaledEnv implements TextEnv {
  private inner = new BuiltinTextEnv();
  private session = `${process.pid}-${Math.random()}`;
  private steps = 0;
  reset(s: EnvSpec) {
    note({ kind: 'reset', session: this.session });
    return this.inner.reset(s);
  }
  async step(action: string) {
    if (this.steps === blockAt) {
      note({ kind: 'blocked', session: this.session, n: this.steps });
      await new Promise(() => undefined); // hang until killed
    }
    note({ kind: 'step', session: this.session, n: this.steps++, action });
    return this.inner.step(action);
  }
  close() {
    return this.inner.close();
  }
  versions() {
    return this.inner.versions();
  }
}

async function main(): Promise<void> {
  const scripted = new ScriptedLlmClient(expertPolicyRules(goldSubtasks(spec), 'chat'));
  const llm: LlmClient = {
    modelId: scripted.modelId,
    async complete(request) {
      const response = await scripted.complete(request);
      note({ kind: 'llm', role: request.role });
      return response;
    },
  };
  const connection = await NativeConnection.connect({ address: process.env.CRASH_TEMPORAL_ADDRESS! });
  const worker = await createStepHrlWorker({
    connection,
    namespace: 'default',
    taskQueue: process.env.CRASH_TASK_QUEUE!,
    workerId: process.env.CRASH_WORKER_ID!,
    llm,
    envFactory: async () => {
      if (blockAtReset) {
        note({ kind: 'blocked', n: -1 });
        await new Promise(() => undefined); // hang until killed
      }
      return new JournaledEnv();
    },
  });
  note({ kind: 'ready' });
  await worker.run();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
