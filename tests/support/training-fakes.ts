/** Training activities without Python, for workflow tests and replay fixtures of `trainingWorkflow`. */
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { ChunkResult, TrainingActivityTypes } from '../../src/episode/training-records';

/** Fake activities: `total` steps per stage, a step counter per stage, optional slow chunks. */
export function fakeTrainingActivities(total: number, o: { slowMs?: number; badConfig?: boolean } = {}) {
  const steps: Record<string, number> = {};
  const calls: string[] = [];
  const acts: TrainingActivityTypes = {
    async prepareRun() {
      calls.push('prepare');
      if (o.badConfig)
        throw ApplicationFailure.create({ message: 'data.dataset is missing', type: 'BadTrainingConfig' });
      return { stages: ['bc', 'rl'], totalSteps: { bc: total, rl: total }, rows: {} };
    },
    async trainChunk({ stage, maxSteps }) {
      calls.push(`chunk ${stage}`);
      if (o.slowMs) await new Promise((r) => setTimeout(r, o.slowMs));
      const step = Math.min(total, (steps[stage] ?? 0) + maxSteps);
      steps[stage] = step;
      const r: ChunkResult = {
        stage,
        step,
        totalSteps: total,
        epoch: 0,
        done: step >= total,
        metrics: { loss: 1 / step },
        dev: null,
        checkpoint: `ckpt-${step}`,
      };
      return r;
    },
    async finalizeStage({ stage }) {
      calls.push(`finalize ${stage}`);
      return { final: `${stage}/final`, sha256: { adapter: `sha-${stage}` }, selectedStep: total, dev: null };
    },
    async serveCheckpoint({ checkpoint }) {
      // No server: heartbeats until cancelled, as the Python activity does while its server lives.
      calls.push(`serve ${checkpoint}`);
      const ctx = Context.current();
      for (;;) {
        ctx.heartbeat();
        await ctx.sleep(200);
      }
    },
  };
  return { acts, calls };
}
