/**
 * `step-hrl label build|segment|progress`: builds step-level datasets from expert trajectories as
 * one durable labelling job (src/workflows/labelling.ts); `segment` runs the collection and
 * segmentation only, `progress` the progress labels on trajectories segmented before and the
 * build. The job's workflow id is derived from what it builds, so re-running the same command
 * after a crash resumes it, and after it ended re-builds the files from the work already done
 * (zero teacher tokens). See docs/datasets.md.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { SingleBar } from 'cli-progress';
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { OBSERVATION_FORMATS, type ObservationFormat } from '../../agent/observation';
import type { PromptProfile } from '../../agent/vocabulary';
import { DEFAULT_SCIENCEWORLD_CAP_PER_TASK, type ExpertSelection } from '../../datasets/expert-trajectories';
import { formatCost, parseTeacherPrice, teacherCost, type TeacherPrice } from '../../datasets/cost';
import { runLabelJob, type TeacherEndpoint } from '../../datasets/job';
import { readRollouts } from '../../datasets/rollouts';
import { canonicalJson } from '../../llm/cache';
import type { LabelDatasetInput, LabelDatasetResult, LabelProgress, LabelStage } from '../../episode/labelling-records';
import { oneOf } from '../episode-options';
import { action, program } from '../program';
import { openTemporal, withTemporalOptions, type TemporalCliOptions } from '../temporal';

const label = program.command('label').description('Build step-level training datasets from expert trajectories');

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** The flags every `label` command has (the job's selection, teacher and rendering). */
function selectionOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return withTemporalOptions(cmd)
    .requiredOption('--env <env>', 'scienceworld | alfworld')
    .requiredOption('--out <dir>', 'output folder: one dataset folder per rendering, and .work/ (resumable state)')
    .option(
      '--split <split>',
      'ALFWorld split folder (train, train_sample, valid_seen, valid_unseen); ScienceWorld variation split',
      undefined,
    )
    .option('--tasks <names>', "ScienceWorld tasks, comma-separated (default: the paper's 24)")
    .option(
      '--cap-per-task <n>',
      `ScienceWorld variations per task, the first of the split (0 = all; default ${DEFAULT_SCIENCEWORLD_CAP_PER_TASK})`,
    )
    .option('--limit <n>', 'ALFWorld: the first N games of the split (sorted by path)')
    .option('--teacher-base-url <url>', 'OpenAI-compatible endpoint of the teacher (default OPENAI_BASE_URL)')
    .option('--teacher-model <name>', 'teacher model name (default STEP_HRL_TEACHER_MODEL)')
    .option('--teacher-api-key-env <var>', 'environment variable holding the teacher key', 'OPENAI_API_KEY')
    .option(
      '--teacher-price <in,out>',
      'money per 1M prompt and completion tokens of the teacher, to show the cost so far (no default: tokens only)',
    )
    .option('--concurrency <n>', 'trajectories labelled at once', '4')
    .option('--name <text>', 'dataset name in the card')
    .option('--json', 'print the result as JSON');
}

/** The flags of the stages that write datasets (`build`, `progress`). */
function datasetOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .option('--profile <list>', 'prompt profiles to render (paper, chat)', 'paper')
    .option('--obs <list>', `observation formats to render (${OBSERVATION_FORMATS.join(', ')})`, 'raw')
    .option('--dev-fraction <f>', 'fraction of trajectories (variations or games) held out as dev', '0.1')
    .option(
      '--rollouts <path>',
      'audit export (file, or folder of export.jsonl files) whose STEP-HRL episodes are mixed in; repeatable',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--rollout-ratio <r>', 'rollout trajectories per expert trajectory, chosen by hash order (default: all)');
}

const int = (flag: string, text: string | undefined) => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} ${JSON.stringify(text)} must be a non-negative integer`);
  return n;
};

/** The expert selection of the flags. */
function selectionOf(flags: Record<string, string | undefined>): ExpertSelection {
  const env = oneOf('--env', flags.env ?? '', ['scienceworld', 'alfworld'] as const);
  if (env === 'alfworld') {
    if (!flags.split) throw new Error('--env alfworld needs --split (train, train_sample, valid_seen or valid_unseen)');
    return { env, split: flags.split, ...(flags.limit !== undefined && { limit: int('--limit', flags.limit) }) };
  }
  const split = oneOf('--split', flags.split ?? 'train', ['train', 'dev', 'test'] as const);
  return {
    env,
    split,
    ...(flags.tasks && { tasks: list(flags.tasks) }),
    ...(flags.capPerTask !== undefined && { capPerTask: int('--cap-per-task', flags.capPerTask) }),
  };
}

/** The teacher endpoint, when a stage asks a teacher. */
function teacherOf(flags: Record<string, string | undefined>): TeacherEndpoint {
  const baseURL = flags.teacherBaseUrl ?? process.env.OPENAI_BASE_URL;
  const model = flags.teacherModel ?? process.env.STEP_HRL_TEACHER_MODEL;
  if (!baseURL || !model)
    throw new Error(
      'a teacher needs --teacher-base-url (or OPENAI_BASE_URL) and --teacher-model (or STEP_HRL_TEACHER_MODEL)',
    );
  return { baseURL, model, apiKey: process.env[flags.teacherApiKeyEnv ?? 'OPENAI_API_KEY'] ?? 'no-key' };
}

/** The dataset fields of the input (`build`, `progress`), checking the rollouts can be read. */
async function datasetFields(
  flags: Record<string, unknown>,
  env: ExpertSelection['env'],
): Promise<Pick<LabelDatasetInput, 'renderings' | 'devFraction' | 'rollouts' | 'rolloutRatio'>> {
  const profiles = list(String(flags.profile)).map((p) => oneOf('--profile', p, ['paper', 'chat'] as const));
  const obs = list(String(flags.obs)).map((o) => oneOf('--obs', o, OBSERVATION_FORMATS));
  const renderings = profiles.flatMap((profile: PromptProfile) =>
    obs.map((o: ObservationFormat) => ({ profile, obs: o })),
  );
  const devFraction = Number(flags.devFraction);
  if (!(devFraction >= 0 && devFraction < 1)) throw new Error(`--dev-fraction ${flags.devFraction} must be in [0, 1)`);
  const rollouts = ((flags.rollouts as string[] | undefined) ?? []).map((p) => path.resolve(p));
  let rolloutRatio: number | undefined;
  if (flags.rolloutRatio !== undefined) {
    rolloutRatio = Number(flags.rolloutRatio);
    if (!(rolloutRatio >= 0) || !Number.isFinite(rolloutRatio))
      throw new Error(
        `--rollout-ratio ${JSON.stringify(flags.rolloutRatio)} must be a non-negative number (rollout trajectories per expert trajectory, e.g. 2)`,
      );
    if (rollouts.length === 0) throw new Error('--rollout-ratio needs --rollouts <export file or folder>');
  }
  if (rollouts.length > 0) {
    // Read them once here, so a bad file is named now rather than when the job builds the datasets.
    const found = await readRollouts(rollouts, env, 0);
    if (found.available === 0)
      console.error(
        `warning: the rollouts hold no STEP-HRL ${env} episode (skipped: ${JSON.stringify(found.skipped)})`,
      );
  }
  return {
    renderings,
    devFraction,
    ...(rollouts.length > 0 && { rollouts }),
    ...(rolloutRatio !== undefined && { rolloutRatio }),
  };
}

/** Folders of the work dir that hold files. */
const holdsFiles = (dir: string) => existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.json'));

/** The message of a failed job: the workflow's own reason (e.g. trajectories not segmented yet). */
function jobError(err: unknown): unknown {
  if (!(err instanceof WorkflowFailedError)) return err;
  // The deepest cause says why (a child's or an activity's failure wraps it).
  let cause: unknown = err.cause;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error ? new Error(cause.message) : err;
}

/** Runs a stage (undefined: `build`) with the parsed flags; prints the bar and the summary. */
async function runStage(stage: LabelStage | undefined, flags: Record<string, unknown>): Promise<void> {
  const f = flags as Record<string, string | undefined>;
  const selection = selectionOf(f);
  const env = selection.env;
  const segmenter =
    stage === 'progress' ? 'rules' : oneOf('--segmenter', f.segmenter ?? 'rules', ['rules', 'teacher'] as const);
  const progress =
    stage === 'segment' ? 'rules' : oneOf('--progress', f.progress ?? 'rules', ['rules', 'teacher'] as const);
  const asksTeacher =
    (stage !== 'progress' && segmenter === 'teacher') || (stage !== 'segment' && progress === 'teacher');
  const teacher = asksTeacher ? teacherOf(f) : undefined;
  const price: TeacherPrice | undefined = f.teacherPrice !== undefined ? parseTeacherPrice(f.teacherPrice) : undefined;
  const out = path.resolve(String(f.out));
  const workDir = path.join(out, '.work');
  if (
    stage === 'progress' &&
    !holdsFiles(path.join(workDir, 'segmented')) &&
    !holdsFiles(path.join(workDir, 'labelled'))
  )
    throw new Error(
      `nothing is segmented in ${f.out}: run \`step-hrl label segment\` with the same --env, --split and --out first`,
    );
  const input: Omit<LabelDatasetInput, 'state'> = {
    name: f.name ?? `step-hrl ${env} ${selection.split ?? 'train'} dataset`,
    selection,
    workDir,
    outDir: out,
    ...(stage && { stage }),
    segmenter,
    progress,
    ...(teacher && { teacherModel: teacher.model }),
    ...(stage === 'segment' ? { renderings: [], devFraction: 0 } : await datasetFields(flags, env)),
    concurrency: Math.max(1, int('--concurrency', f.concurrency) ?? 4),
  };
  // Same command, same job: the id hashes what the job builds (not the concurrency or the bar).
  const { concurrency: _c, ...identity } = input;
  const workflowId = `label-${createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, 16)}`;

  const done = stage === 'segment' ? 'segmented' : 'labelled';
  const costOf = (p: LabelDatasetResult | LabelProgress) =>
    price
      ? formatCost(
          teacherCost({ promptTokens: p.paidPromptTokens ?? 0, completionTokens: p.paidCompletionTokens ?? 0 }, price),
        )
      : undefined;
  const temporal = await openTemporal(flags as TemporalCliOptions);
  const bar =
    process.stderr.isTTY && !f.json
      ? new SingleBar({
          format:
            `${stage ?? 'labelling'} |{bar}| {value}/{total} trajectories | ${done} {labelled} | dropped {dropped} | ` +
            `teacher calls {calls} | tokens {tokens}${price ? ' | cost {cost}' : ''}`,
          hideCursor: true,
        })
      : undefined;
  let started = false;
  const onProgress = (p: LabelProgress) => {
    const payload = {
      labelled: p.labelled,
      dropped: p.dropped,
      calls: p.teacherCalls,
      tokens: p.promptTokens + p.completionTokens,
      cost: costOf(p),
    };
    if (!bar) return;
    if (!started) {
      bar.start(p.total, p.labelled + p.dropped, payload);
      started = true;
    }
    bar.setTotal(p.total);
    bar.update(p.labelled + p.dropped, payload);
  };
  const t0 = Date.now();
  try {
    console.error(`labelling job ${workflowId} (re-run this command to resume it)`);
    const result = await runLabelJob({
      client: temporal.client,
      native: temporal.native,
      namespace: temporal.target.namespace,
      dataConverter: temporal.dataConverter,
      workflowId,
      input,
      teacher,
      cacheDir: path.join(workDir, 'teacher-cache'),
      onProgress,
    }).catch((err: unknown) => {
      throw jobError(err);
    });
    bar?.stop();
    const seconds = (Date.now() - t0) / 1000;
    const cost = costOf(result);
    if (f.json) {
      console.log(
        JSON.stringify({
          workflowId,
          seconds,
          ...(stage && { stage }),
          ...result,
          ...(cost && { cost: Number(cost) }),
        }),
      );
      return;
    }
    console.log(
      `${result.labelled} trajectories ${done}, ${result.dropped} dropped, ${result.teacherCalls} teacher calls ` +
        `(${result.cachedCalls} cached, ${result.promptTokens + result.completionTokens} tokens` +
        `${cost ? `, cost ${cost}` : ''}) in ${seconds.toFixed(1)} s`,
    );
    if (stage === 'segment')
      console.log(
        `segmentations kept in ${path.join(f.out ?? '', '.work')}; next: step-hrl label progress with the same flags`,
      );
    for (const d of result.datasets)
      console.log(
        `${d.dir}: high ${d.rows.high}, low ${d.rows.low}, progress ${d.rows.progress} rows` +
          `${d.rollouts !== undefined ? ` (${d.trajectories} expert, ${d.rollouts} rollout trajectories)` : ''} (card: README.md)`,
      );
  } finally {
    bar?.stop();
    await temporal.close();
  }
}

datasetOptions(selectionOptions(label.command('build')))
  .description('Replay expert trajectories, segment them and label local progress, and write the datasets')
  .option('--segmenter <kind>', 'rules | teacher', 'rules')
  .option('--progress <kind>', 'rules | teacher', 'rules')
  .action(action(async (flags) => runStage(undefined, flags)));

selectionOptions(label.command('segment'))
  .description('Replay expert trajectories and segment them into subtasks; keeps them in <out>/.work for `progress`')
  .option('--segmenter <kind>', 'rules | teacher', 'rules')
  .action(action(async (flags) => runStage('segment', flags)));

datasetOptions(selectionOptions(label.command('progress')))
  .description('Label local progress on trajectories `segment` kept, and write the datasets')
  .option('--progress <kind>', 'rules | teacher', 'rules')
  .action(action(async (flags) => runStage('progress', flags)));
