/**
 * Activities of the durable labelling job (`src/workflows/labelling.ts`): list the expert specs,
 * replay one expert trajectory, ask the teacher for a segmentation or one progress label, save a
 * labelled or dropped trajectory, and build the dataset folders. Work lives in files under the
 * job's work folder, one per trajectory, written by rename, so a re-run (or a retried activity)
 * finds what is done; teacher calls go through the response cache keyed by the prompt hash, so a
 * re-run spends zero tokens on what is done.
 *
 * Retry contract: every activity is idempotent. A teacher failure is an `LlmError`, converted to
 * an `ApplicationFailure` whose retryability Temporal's policy honours; when the retries run out
 * the workflow drops the trajectory with the reason, never the job.
 */
import { Context } from '@temporalio/activity';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EnvSpec } from '../agent/vocabulary';
import { buildDataset, type BuildSummary } from '../datasets/build';
import { readRollouts } from '../datasets/rollouts';
import { collectExpertTrajectory, listExpertSpecs, trajectoryId } from '../datasets/expert-trajectories';
import { labelByRules, labelledStepCount } from '../datasets/label';
import { RULES_VERSION, ruleProgressLabels, segmentByRules } from '../datasets/segment-rules';
import { formatObservation } from '../agent/prompts';
import {
  loadTeacherPrompt,
  parseProgressLabel,
  parseSegmentation,
  progressRequest,
  segmentRequest,
  teacherPromptHashes,
} from '../datasets/teacher';
import type {
  DroppedTrajectory,
  ExpertTrajectory,
  LabelProvenance,
  LabelledTrajectory,
} from '../episode/dataset-records';
import { asApplicationFailure } from '../llm/to-application-failure';
import type { LlmClient, LlmRequest } from '../llm/types';
import type { LabellingActivityTypes, SegmentedRecord, TeacherCallRecord } from '../episode/labelling-records';

export type {
  CollectOutcome,
  DatasetRendering,
  LabelSpec,
  ProgressOutcome,
  SegmentOutcome,
  TeacherCallRecord,
} from '../episode/labelling-records';

/** What the labelling activities need from the worker. */
export interface LabellingDeps {
  /** Env server URL for a spec (ALFWorld train games need the project's unpacked data folder). */
  envUrl(spec: EnvSpec): Promise<string>;
  /** The teacher, wrapped in the response cache; absent for rule-only jobs. */
  teacher?: LlmClient;
}

const fileName = (id: string) => `${encodeURIComponent(id)}.json`;
const dirs = (workDir: string) => ({
  trajectories: path.join(workDir, 'trajectories'),
  labelled: path.join(workDir, 'labelled'),
  dropped: path.join(workDir, 'dropped'),
  segmented: path.join(workDir, 'segmented'),
});

async function writeAtomic(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(value));
  await rename(tmp, file);
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

/** How often a long labelling activity heartbeats (the workflow's heartbeat timeout is 30 s). */
const HEARTBEAT_MS = 5_000;

/**
 * Runs `fn` heartbeating, so a worker killed mid-call is noticed within the heartbeat timeout and
 * the call retried on another worker (instead of waiting out the start-to-close timeout).
 */
async function beating<T>(fn: () => Promise<T>): Promise<T> {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return fn(); // called outside an activity (a unit test)
  }
  const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

/** Creates the labelling activities. */
export function createLabellingActivities(deps: LabellingDeps): LabellingActivityTypes {
  const trajectories = new Map<string, ExpertTrajectory>();
  const trajectory = async (workDir: string, id: string): Promise<ExpertTrajectory> => {
    const key = `${workDir}\u0000${id}`;
    let t = trajectories.get(key);
    if (!t) {
      t = await readJson<ExpertTrajectory>(path.join(dirs(workDir).trajectories, fileName(id)));
      if (trajectories.size > 256) trajectories.clear();
      trajectories.set(key, t);
    }
    return t;
  };

  const callTeacher = async (request: LlmRequest): Promise<TeacherCallRecord> => {
    if (!deps.teacher) throw new Error('this worker has no teacher model: start `step-hrl label` with --teacher-model');
    try {
      const teacher = deps.teacher;
      const r = await beating(() => teacher.complete(request));
      return {
        messages: request.messages ?? [],
        raw: r.text,
        model: r.model,
        promptTokens: r.usage.promptTokens,
        completionTokens: r.usage.completionTokens,
        cached: r.cached === true,
      };
    } catch (err) {
      throw asApplicationFailure(err);
    }
  };

  /** A retry after a rejected reply shows the reply and the reason, so it is a new prompt (and cache key). */
  const withRepair = (request: LlmRequest, previous: { raw: string; detail: string } | undefined): LlmRequest =>
    previous
      ? {
          ...request,
          messages: [
            ...(request.messages ?? []),
            { role: 'assistant', content: previous.raw },
            {
              role: 'user',
              content: `That answer is invalid: ${previous.detail}. Answer again in the required format.`,
            },
          ],
        }
      : request;

  return {
    /** The specs of a selection with their trajectory ids, in a stable order. */
    async listLabelSpecs(input) {
      const probe: EnvSpec =
        input.selection.env === 'alfworld'
          ? { env: 'alfworld', task: '', split: input.selection.split }
          : { env: 'scienceworld', task: '' };
      const url = await deps.envUrl(probe);
      const specs = await beating(() => listExpertSpecs(url, input.selection));
      return specs.map((spec) => ({ id: trajectoryId(spec), spec }));
    },

    /** Replays the expert trajectory of `spec` once (kept in the work folder) or says it is already done. */
    async collectTrajectory(input) {
      const d = dirs(input.workDir);
      const name = fileName(input.id);
      if (existsSync(path.join(d.labelled, name))) return { id: input.id, finished: true };
      if (existsSync(path.join(d.dropped, name)))
        return { id: input.id, finished: true, dropped: await readJson(path.join(d.dropped, name)) };
      let t: ExpertTrajectory;
      if (existsSync(path.join(d.trajectories, name))) t = await trajectory(input.workDir, input.id);
      else {
        const url = await deps.envUrl(input.spec);
        const r = await beating(() => collectExpertTrajectory(url, input.spec));
        if (!r.ok) {
          await writeAtomic(path.join(d.dropped, name), r.dropped);
          return { id: input.id, finished: true, dropped: r.dropped };
        }
        t = r.trajectory;
        await writeAtomic(path.join(d.trajectories, name), t);
      }
      return {
        id: input.id,
        finished: false,
        actions: t.steps.map((s) => s.action),
        labelledSteps: labelledStepCount(t),
      };
    },

    /** The rule segmentation of a collected trajectory. */
    async ruleSegments(input) {
      const t = await trajectory(input.workDir, input.id);
      return segmentByRules(
        t.spec.env,
        t.steps.map((s) => s.action),
      );
    },

    /** Asks the teacher to segment a collected trajectory (`previous`: the rejected try, for the one retry). */
    async teacherSegment(input) {
      const t = await trajectory(input.workDir, input.id);
      const gold = t.steps.map((s) => s.action);
      const call = await callTeacher(withRepair(segmentRequest(t.task, gold), input.previous));
      const parsed = parseSegmentation(call.raw, gold);
      return parsed.ok ? { call, segments: parsed.value } : { call, reason: parsed.reason, detail: parsed.detail };
    },

    /** Asks the teacher for the progress label after step `step` of a collected trajectory. */
    async teacherProgress(input) {
      const t = await trajectory(input.workDir, input.id);
      const s = t.steps[input.step];
      const observation = formatObservation(t.spec.env, s.observation);
      const request = progressRequest({
        subtask: input.subtask,
        previous: input.previousProgress,
        action: s.action,
        observation,
      });
      const call = await callTeacher(withRepair(request, input.previous));
      const parsed = parseProgressLabel(call.raw);
      return parsed.ok ? { call, label: parsed.value } : { call, reason: parsed.reason, detail: parsed.detail };
    },

    /** Saves a labelled trajectory; `progress` absent = rule labels, `segments` absent = rule segments. */
    async saveLabelled(input) {
      const t = await trajectory(input.workDir, input.id);
      const rules = labelByRules(t);
      const segments = input.segments ?? rules.segments;
      const progress = input.progress
        ? input.progress.map((p) => p ?? undefined)
        : ruleProgressLabels(segments, t.steps.at(-1)?.done ?? true);
      const hashes = teacherPromptHashes();
      const segName = loadTeacherPrompt('segment').name;
      const progName = loadTeacherPrompt('progress').name;
      const provenance: LabelProvenance = {
        segmenter: input.segments ? 'teacher' : 'rules',
        progress: input.progress ? 'teacher' : 'rules',
        ...(input.teacherModel && (input.segments || input.progress) ? { teacherModel: input.teacherModel } : {}),
        promptSha256: {
          ...(input.segments ? { [segName]: hashes[segName] } : {}),
          ...(input.progress ? { [progName]: hashes[progName] } : {}),
        },
        ...(!input.segments || !input.progress ? { rulesVersion: RULES_VERSION } : {}),
      };
      const labelled: LabelledTrajectory = { trajectory: t, segments, progress, provenance };
      await writeAtomic(path.join(dirs(input.workDir).labelled, fileName(input.id)), labelled);
    },

    /** Records a trajectory dropped while labelling. */
    async saveDropped(input) {
      await writeAtomic(path.join(dirs(input.workDir).dropped, fileName(input.dropped.id)), input.dropped);
    },

    /** Saves the segmentation of the `segment` stage. */
    async saveSegmented(input) {
      await writeAtomic(path.join(dirs(input.workDir).segmented, fileName(input.record.id)), input.record);
    },

    /** The segmentation a `segment` stage saved, or null. */
    async loadSegmented(input) {
      const file = path.join(dirs(input.workDir).segmented, fileName(input.id));
      return existsSync(file) ? readJson<SegmentedRecord>(file) : null;
    },

    /** The ids that are neither segmented, labelled nor dropped. */
    async unsegmented(input) {
      const d = dirs(input.workDir);
      const done = async (dir: string) => new Set(existsSync(dir) ? await readdir(dir) : []);
      const [segmented, labelled, dropped] = await Promise.all([done(d.segmented), done(d.labelled), done(d.dropped)]);
      return input.ids.filter((id) => {
        const name = fileName(id);
        return !segmented.has(name) && !labelled.has(name) && !dropped.has(name);
      });
    },

    /** Builds one dataset folder per rendering from every labelled and dropped trajectory of the job. */
    async buildDatasets(input) {
      return beating(async () => {
        const d = dirs(input.workDir);
        let wanted: Set<string> | undefined;
        if (input.selection) {
          const probe: EnvSpec =
            input.selection.env === 'alfworld'
              ? { env: 'alfworld', task: '', split: input.selection.split }
              : { env: 'scienceworld', task: '' };
          const specs = await listExpertSpecs(await deps.envUrl(probe), input.selection);
          wanted = new Set(specs.map((spec) => fileName(trajectoryId(spec))));
        }
        const list = async (dir: string) =>
          existsSync(dir)
            ? (await readdir(dir)).filter((f) => f.endsWith('.json') && (!wanted || wanted.has(f))).sort()
            : [];
        const labelled = await Promise.all(
          (await list(d.labelled)).map((f) => readJson<LabelledTrajectory>(path.join(d.labelled, f))),
        );
        const dropped = await Promise.all(
          (await list(d.dropped)).map((f) => readJson<DroppedTrajectory>(path.join(d.dropped, f))),
        );
        const env = input.selection?.env ?? labelled[0]?.trajectory.spec.env ?? 'alfworld';
        const rollouts = input.rollouts?.length
          ? await readRollouts(input.rollouts, env, labelled.length, input.rolloutRatio)
          : undefined;
        const summaries: BuildSummary[] = [];
        for (const r of input.renderings) {
          const dir = path.join(input.outDir, `${r.profile}-${r.obs}`);
          const summary = await buildDataset(dir, labelled, dropped, {
            profile: r.profile,
            obs: r.obs,
            devFraction: input.devFraction,
            name: `${input.name} (${r.profile}, ${r.obs})`,
            teacher: input.teacher,
            ...(rollouts && { rollouts }),
          });
          summaries.push({ ...summary, files: [] });
        }
        return summaries;
      });
    },
  };
}

/** The labelling activities' type, for `proxyActivities`: the episode core's signatures, implemented above. */
export type LabellingActivities = LabellingActivityTypes;
