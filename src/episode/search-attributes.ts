/**
 * The custom search attributes and memo of step-hrl's workflows: what `step-hrl list`, the
 * Temporal UI and `temporal workflow list --query` filter on. Pure and workflow-safe (only
 * `@temporalio/common`), so workflows, clients and the dev server's registration share one list.
 * See docs/search-attributes.md.
 */
import {
  defineSearchAttributeKey,
  SearchAttributeType,
  type SearchAttributePair,
  type SearchAttributeUpdatePair,
  type TypedSearchAttributes,
} from '@temporalio/common';
import type { EnvSpec } from '../agent/vocabulary';

/** A typed search attribute key (`@temporalio/common` does not export the type by name). */
export type SearchAttributeKey<T extends SearchAttributeType = SearchAttributeType> = ReturnType<
  typeof defineSearchAttributeKey<T>
>;

/** Our `EpisodeStatus` when an episode has ended, `running` before; evals: running | finished | cancelled | failed. */
export const StepHrlStatus = defineSearchAttributeKey('StepHrlStatus', SearchAttributeType.KEYWORD);
/** Environment family (builtin | scienceworld | alfworld). */
export const StepHrlEnv = defineSearchAttributeKey('StepHrlEnv', SearchAttributeType.KEYWORD);
/** Task name (episodes only). */
export const StepHrlTask = defineSearchAttributeKey('StepHrlTask', SearchAttributeType.KEYWORD);
/** Split the task comes from, when known. */
export const StepHrlSplit = defineSearchAttributeKey('StepHrlSplit', SearchAttributeType.KEYWORD);
/** Agent: step-hrl | react. */
export const StepHrlAgent = defineSearchAttributeKey('StepHrlAgent', SearchAttributeType.KEYWORD);
/** Prompt profile: chat | paper. */
export const StepHrlProfile = defineSearchAttributeKey('StepHrlProfile', SearchAttributeType.KEYWORD);
/** Model label of the policy (endpoint model id, `expert`, `local`), when the starter knows it. */
export const StepHrlModel = defineSearchAttributeKey('StepHrlModel', SearchAttributeType.KEYWORD);
/** The episode was won (set when it ends). */
export const StepHrlWon = defineSearchAttributeKey('StepHrlWon', SearchAttributeType.BOOL);
/** Final score (set when it ends). */
export const StepHrlScore = defineSearchAttributeKey('StepHrlScore', SearchAttributeType.DOUBLE);
/** Env steps taken (set when it ends). */
export const StepHrlSteps = defineSearchAttributeKey('StepHrlSteps', SearchAttributeType.INT);
/** Recorded tokens (set when it ends). */
export const StepHrlTokens = defineSearchAttributeKey('StepHrlTokens', SearchAttributeType.INT);
/** Id of the eval that played the episode (and of the eval itself on an eval workflow). */
export const StepHrlEvalId = defineSearchAttributeKey('StepHrlEvalId', SearchAttributeType.KEYWORD);
/** Episode a fork started from. */
export const StepHrlParent = defineSearchAttributeKey('StepHrlParent', SearchAttributeType.KEYWORD);
/** What the workflow is: episode | eval. */
export const StepHrlKind = defineSearchAttributeKey('StepHrlKind', SearchAttributeType.KEYWORD);
/**
 * Build id of the workflow code that started it (docs/versioning.md); `resume` refuses another
 * build's episode. A one-element KeywordList (`StepHrlBuildId = '<id>'` matches it): the dev
 * server's SQL visibility has 10 Keyword columns and the attributes above use them all.
 */
export const StepHrlBuildId = defineSearchAttributeKey('StepHrlBuildId', SearchAttributeType.KEYWORD_LIST);

/** Every step-hrl search attribute, in the order documented and registered. */
export const STEP_HRL_SEARCH_ATTRIBUTES: readonly SearchAttributeKey<SearchAttributeType>[] = [
  StepHrlStatus,
  StepHrlEnv,
  StepHrlTask,
  StepHrlSplit,
  StepHrlAgent,
  StepHrlProfile,
  StepHrlModel,
  StepHrlWon,
  StepHrlScore,
  StepHrlSteps,
  StepHrlTokens,
  StepHrlEvalId,
  StepHrlParent,
  StepHrlKind,
  StepHrlBuildId,
];

/** The Temporal CLI's spelling of each type (`--search-attribute Name=Type`, `operator search-attribute create`). */
const CLI_TYPE_NAMES: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** `Name=Type` for every attribute, as `temporal server start-dev --search-attribute` takes them. */
export function searchAttributeRegistrations(): string[] {
  return STEP_HRL_SEARCH_ATTRIBUTES.map((key) => `${key.name}=${CLI_TYPE_NAMES[key.type]}`);
}

/**
 * The `temporal operator search-attribute create` commands that register every attribute on an
 * existing cluster, one per attribute (the Temporal CLI 1.x registers only the first of several
 * `--name`s). Add `--namespace <ns>` and the connection flags of that cluster.
 */
export function registrationCommands(): string[] {
  return STEP_HRL_SEARCH_ATTRIBUTES.map(
    (key) => `temporal operator search-attribute create --name ${key.name} --type ${CLI_TYPE_NAMES[key.type]}`,
  );
}

/** Memo key holding {@link StepHrlMemo}. */
export const SUMMARY_MEMO = 'stepHrl';

/** The memo's summary (shown by the Temporal UI): the same facts as the search attributes. */
export interface StepHrlMemo {
  kind: 'episode' | 'eval';
  status: string;
  env?: string;
  task?: string;
  split?: string;
  agent?: string;
  profile?: string;
  model?: string;
  evalId?: string;
  parentEpisodeId?: string;
  buildId?: string;
  won?: boolean;
  score?: number;
  steps?: number;
  tokens?: number;
}

/** What the starter knows about an episode besides its config. */
export interface EpisodeStartContext {
  /** @default 'step-hrl' */
  agent?: 'step-hrl' | 'react';
  /** Model label of the policy, when known. */
  model?: string;
  /** The eval playing this episode. */
  evalId?: string;
  /** The episode this one was forked from. */
  parentEpisodeId?: string;
  /** Build id of the workflow code the starter runs (`StepHrlBuildId`). */
  buildId?: string;
}

/** Facts of an episode known when it starts. */
export function episodeStartFacts(
  config: { spec: EnvSpec; profile?: string },
  context: EpisodeStartContext = {},
): StepHrlMemo {
  return dropUndefined({
    kind: 'episode' as const,
    status: 'running',
    env: config.spec.env,
    task: config.spec.task,
    split: config.spec.split,
    agent: context.agent ?? 'step-hrl',
    profile: config.profile ?? 'chat',
    model: context.model,
    evalId: context.evalId,
    parentEpisodeId: context.parentEpisodeId,
    buildId: context.buildId,
  });
}

/**
 * The search attributes to start an episode with (`typedSearchAttributes` of a client start or a
 * child start): status `running`, env, task, split, agent, profile and, when given, model, eval
 * and parent episode. The fork command passes `parentEpisodeId`.
 */
export function episodeStartAttributes(
  config: { spec: EnvSpec; profile?: string },
  context: EpisodeStartContext = {},
): SearchAttributePair[] {
  return attributesOf(episodeStartFacts(config, context));
}

/** Facts of an eval known when it starts. */
export function evalStartFacts(input: {
  evalId: string;
  env: string;
  agent: string;
  split?: string;
  model?: string;
  profile?: string;
  buildId?: string;
}): StepHrlMemo {
  return dropUndefined({
    kind: 'eval' as const,
    status: 'running',
    env: input.env,
    split: input.split,
    agent: input.agent,
    profile: input.profile ?? 'chat',
    model: input.model,
    evalId: input.evalId,
    buildId: input.buildId,
  });
}

/** The search attributes to start an eval workflow with. */
export function evalStartAttributes(input: Parameters<typeof evalStartFacts>[0]): SearchAttributePair[] {
  return attributesOf(evalStartFacts(input));
}

/** How an episode ended, as its workflow upserts it. */
export interface EpisodeOutcomeFacts {
  status: string;
  won: boolean;
  score: number;
  steps: number;
  tokens: number;
}

/** The upsert an episode makes when it ends. */
export function episodeOutcomeUpdates(outcome: EpisodeOutcomeFacts): SearchAttributeUpdatePair[] {
  return [
    { key: StepHrlStatus, value: outcome.status },
    { key: StepHrlWon, value: outcome.won },
    { key: StepHrlScore, value: outcome.score },
    { key: StepHrlSteps, value: Math.round(outcome.steps) },
    { key: StepHrlTokens, value: Math.round(outcome.tokens) },
  ];
}

/**
 * True when the workflow was started with step-hrl's search attributes. Workflows upsert theirs
 * only then: an upsert of attributes the cluster does not know fails the workflow task over and
 * over, while a start without them (an older client, a test's raw start) has nothing to update.
 */
export function startedWithStepHrlAttributes(attributes: TypedSearchAttributes): boolean {
  return attributes.get(StepHrlKind) !== undefined;
}

/** The memo facts read back from search attributes (e.g. a workflow's own, to build its final memo). */
export function factsOfAttributes(attributes: TypedSearchAttributes): StepHrlMemo {
  return dropUndefined({
    kind: (attributes.get(StepHrlKind) as StepHrlMemo['kind'] | undefined) ?? 'episode',
    status: attributes.get(StepHrlStatus) ?? 'unknown',
    env: attributes.get(StepHrlEnv),
    task: attributes.get(StepHrlTask),
    split: attributes.get(StepHrlSplit),
    agent: attributes.get(StepHrlAgent),
    profile: attributes.get(StepHrlProfile),
    model: attributes.get(StepHrlModel),
    evalId: attributes.get(StepHrlEvalId),
    parentEpisodeId: attributes.get(StepHrlParent),
    buildId: attributes.get(StepHrlBuildId)?.[0],
    won: attributes.get(StepHrlWon),
    score: attributes.get(StepHrlScore),
    steps: attributes.get(StepHrlSteps),
    tokens: attributes.get(StepHrlTokens),
  });
}

/**
 * Start attributes and memo for a new run of an episode (resume) from its previous run's
 * attributes: the same facts, `running` again, no outcome yet, and the build id of the resuming
 * code when given. Undefined when the previous run had no step-hrl attributes (it was not started
 * with them, so the new run is not either).
 */
export function restartedAttributes(
  previous: TypedSearchAttributes,
  buildId?: string,
): { typedSearchAttributes: SearchAttributePair[]; memo: Record<string, unknown> } | undefined {
  if (!startedWithStepHrlAttributes(previous)) return undefined;
  const facts = factsOfAttributes(previous);
  const restarted = dropUndefined({
    ...facts,
    buildId: buildId ?? facts.buildId,
    status: 'running',
    won: undefined,
    score: undefined,
    steps: undefined,
    tokens: undefined,
  });
  return { typedSearchAttributes: attributesOf(restarted), memo: { [SUMMARY_MEMO]: restarted } };
}

/** Search attribute pairs for the facts that are set. */
export function attributesOf(facts: StepHrlMemo): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [];
  const add = <T extends SearchAttributeType>(key: SearchAttributeKey<T>, value: unknown): void => {
    if (value !== undefined) pairs.push({ key, value } as unknown as SearchAttributePair);
  };
  add(StepHrlKind, facts.kind);
  add(StepHrlStatus, facts.status);
  add(StepHrlEnv, facts.env);
  add(StepHrlTask, facts.task);
  add(StepHrlSplit, facts.split);
  add(StepHrlAgent, facts.agent);
  add(StepHrlProfile, facts.profile);
  add(StepHrlModel, facts.model);
  add(StepHrlEvalId, facts.evalId);
  add(StepHrlParent, facts.parentEpisodeId);
  add(StepHrlBuildId, facts.buildId === undefined ? undefined : [facts.buildId]);
  add(StepHrlWon, facts.won);
  add(StepHrlScore, facts.score);
  add(StepHrlSteps, facts.steps);
  add(StepHrlTokens, facts.tokens);
  return pairs;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
