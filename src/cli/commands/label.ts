/**
 * `step-hrl label build`: builds step-level datasets from expert trajectories as one durable
 * labelling job (src/workflows/labelling.ts). The job's workflow id is derived from what it builds,
 * so re-running the same command after a crash resumes it, and after it ended re-builds the files
 * from the work already done (zero teacher tokens). See docs/datasets.md.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { OBSERVATION_FORMATS, type ObservationFormat } from '../../agent/observation';
import type { PromptProfile } from '../../agent/vocabulary';
import { DEFAULT_SCIENCEWORLD_CAP_PER_TASK, type ExpertSelection } from '../../datasets/expert-trajectories';
import { runLabelJob, type TeacherEndpoint } from '../../datasets/job';
import { canonicalJson } from '../../llm/cache';
import type { LabelDatasetInput, LabelProgress } from '../../episode/labelling-records';
import { oneOf } from '../episode-options';
import { action, program } from '../program';
import { openTemporal, withTemporalOptions, type TemporalCliOptions } from '../temporal';

const label = program.command('label').description('Build step-level training datasets from expert trajectories');

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

withTemporalOptions(label.command('build'))
  .description('Replay expert trajectories, segment them and label local progress, and write the datasets')
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
  .option('--segmenter <kind>', 'rules | teacher', 'rules')
  .option('--progress <kind>', 'rules | teacher', 'rules')
  .option('--teacher-base-url <url>', 'OpenAI-compatible endpoint of the teacher (default OPENAI_BASE_URL)')
  .option('--teacher-model <name>', 'teacher model name (default STEP_HRL_TEACHER_MODEL)')
  .option('--teacher-api-key-env <var>', 'environment variable holding the teacher key', 'OPENAI_API_KEY')
  .option('--profile <list>', 'prompt profiles to render (paper, chat)', 'paper')
  .option('--obs <list>', `observation formats to render (${OBSERVATION_FORMATS.join(', ')})`, 'raw')
  .option('--dev-fraction <f>', 'fraction of trajectories (variations or games) held out as dev', '0.1')
  .option('--concurrency <n>', 'trajectories labelled at once', '4')
  .option('--name <text>', 'dataset name in the card')
  .option('--json', 'print the result as JSON')
  .action(
    action(async (flags) => {
      const env = oneOf('--env', flags.env, ['scienceworld', 'alfworld'] as const);
      const int = (flag: string, text: string | undefined) => {
        if (text === undefined) return undefined;
        const n = Number(text);
        if (!Number.isInteger(n) || n < 0)
          throw new Error(`${flag} ${JSON.stringify(text)} must be a non-negative integer`);
        return n;
      };
      let selection: ExpertSelection;
      if (env === 'alfworld') {
        if (!flags.split)
          throw new Error('--env alfworld needs --split (train, train_sample, valid_seen or valid_unseen)');
        selection = {
          env,
          split: flags.split,
          ...(flags.limit !== undefined && { limit: int('--limit', flags.limit) }),
        };
      } else {
        const split = oneOf('--split', flags.split ?? 'train', ['train', 'dev', 'test'] as const);
        selection = {
          env,
          split,
          ...(flags.tasks && { tasks: list(flags.tasks) }),
          ...(flags.capPerTask !== undefined && { capPerTask: int('--cap-per-task', flags.capPerTask) }),
        };
      }
      const segmenter = oneOf('--segmenter', flags.segmenter, ['rules', 'teacher'] as const);
      const progress = oneOf('--progress', flags.progress, ['rules', 'teacher'] as const);
      let teacher: TeacherEndpoint | undefined;
      if (segmenter === 'teacher' || progress === 'teacher') {
        const baseURL = flags.teacherBaseUrl ?? process.env.OPENAI_BASE_URL;
        const model = flags.teacherModel ?? process.env.STEP_HRL_TEACHER_MODEL;
        if (!baseURL || !model)
          throw new Error(
            'a teacher needs --teacher-base-url (or OPENAI_BASE_URL) and --teacher-model (or STEP_HRL_TEACHER_MODEL)',
          );
        teacher = { baseURL, model, apiKey: process.env[flags.teacherApiKeyEnv] ?? 'no-key' };
      }
      const profiles = list(flags.profile).map((p) => oneOf('--profile', p, ['paper', 'chat'] as const));
      const obs = list(flags.obs).map((o) => oneOf('--obs', o, OBSERVATION_FORMATS));
      const renderings = profiles.flatMap((profile: PromptProfile) =>
        obs.map((o: ObservationFormat) => ({ profile, obs: o })),
      );
      const devFraction = Number(flags.devFraction);
      if (!(devFraction >= 0 && devFraction < 1))
        throw new Error(`--dev-fraction ${flags.devFraction} must be in [0, 1)`);
      const out = path.resolve(flags.out);
      const input: Omit<LabelDatasetInput, 'state'> = {
        name: flags.name ?? `step-hrl ${env} ${selection.split ?? 'train'} dataset`,
        selection,
        workDir: path.join(out, '.work'),
        outDir: out,
        segmenter,
        progress,
        ...(teacher && { teacherModel: teacher.model }),
        renderings,
        devFraction,
        concurrency: Math.max(1, int('--concurrency', flags.concurrency) ?? 4),
      };
      // Same command, same job: the id hashes what the job builds (not the concurrency or the bar).
      const { concurrency: _c, ...identity } = input;
      const workflowId = `label-${createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, 16)}`;

      const temporal = await openTemporal(flags as TemporalCliOptions);
      const bar =
        process.stderr.isTTY && !flags.json
          ? new SingleBar({
              format:
                'labelling |{bar}| {value}/{total} trajectories | labelled {labelled} | dropped {dropped} | teacher calls {calls} | tokens {tokens}',
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
          cacheDir: path.join(out, '.work', 'teacher-cache'),
          onProgress,
        });
        bar?.stop();
        const seconds = (Date.now() - t0) / 1000;
        if (flags.json) {
          console.log(JSON.stringify({ workflowId, seconds, ...result }));
          return;
        }
        console.log(
          `${result.labelled} trajectories labelled, ${result.dropped} dropped, ${result.teacherCalls} teacher calls ` +
            `(${result.cachedCalls} cached, ${result.promptTokens + result.completionTokens} tokens) in ${seconds.toFixed(1)} s`,
        );
        for (const d of result.datasets)
          console.log(
            `${d.dir}: high ${d.rows.high}, low ${d.rows.low}, progress ${d.rows.progress} rows (card: README.md)`,
          );
      } finally {
        bar?.stop();
        await temporal.close();
      }
    }),
  );
