/**
 * The core's vocabulary: the types every layer (envs, llm, activities, workflows) speaks when it
 * talks to the pure core. They live here so `src/agent` depends on nothing outside itself.
 */

/** Which environment family a spec addresses. */
export type EnvKind = 'builtin' | 'scienceworld' | 'alfworld';

/** Identifies one episode's starting state; resetting twice with the same spec gives the same start. */
export interface EnvSpec {
  /** Environment family. */
  env: EnvKind;
  /** Task name (ScienceWorld task name, ALFWorld game path relative to its split, built-in task id). */
  task: string;
  /** Variation index (ScienceWorld) or seed (built-in). @default 0 */
  variation?: number;
  /** Split the task/variation comes from (ScienceWorld train/dev/test, ALFWorld valid_seen/...). */
  split?: string;
  /** Env-specific options (e.g. ScienceWorld simplifications). Must be JSON-serialisable. */
  options?: Record<string, unknown>;
}

/** What the agent sees after reset or a step. */
export interface Observation {
  /** The step feedback text. */
  text: string;
  /** Current room description (ScienceWorld `look`; ALFWorld: the initial room description). */
  look?: string;
  /** Inventory text (ScienceWorld). */
  inventory?: string;
  /** Admissible actions, when the environment exposes them. */
  validActions?: string[];
}

/** Which of the STEP-HRL roles (or the ReAct baseline) a call serves. */
export type PolicyRole = 'high' | 'low' | 'progress' | 'react';

/** One chat message. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Prompt profile: `paper` = reference raw text; `chat` = chat messages with JSON output. */
export type PromptProfile = 'paper' | 'chat';

/** One policy call: a prompt built by the workflow (pure) plus decoding parameters. */
export interface PolicyCallInput {
  role: PolicyRole;
  profile: PromptProfile;
  prompt?: string;
  messages?: ChatMessage[];
  maxTokens: number;
  temperature: number;
  stop?: string[];
}
