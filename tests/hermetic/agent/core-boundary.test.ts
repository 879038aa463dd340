/**
 * The pure core owns its vocabulary: lint forbids `src/agent` importing any other layer, and the
 * core's files pass that rule as they are.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const root = path.resolve(__dirname, '../../..');
const eslintBin = path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');

interface LintResult {
  filePath: string;
  messages: { ruleId: string | null; message: string }[];
}

/**
 * Runs the project's real eslint CLI and config (the config is ESM, which jest's VM cannot load
 * in-process), without type information: the boundary rule needs none, and it keeps this fast.
 */
function lint(args: string[], stdin?: string): LintResult[] {
  const run = spawnSync(
    process.execPath,
    [
      eslintBin,
      '--format',
      'json',
      '--parser-options',
      'projectService:false',
      '--rule',
      '@typescript-eslint/no-floating-promises: off',
      ...args,
    ],
    {
      cwd: root,
      input: stdin,
      encoding: 'utf8',
    },
  );
  return JSON.parse(run.stdout) as LintResult[];
}

/** Messages of the boundary rule for `code` linted as if it were the file at `relPath`. */
async function boundaryErrors(code: string, relPath: string): Promise<string[]> {
  const [result] = lint(['--stdin', '--stdin-filename', relPath], code);
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('src/agent imports no other layer', () => {
  it.each([
    ["import type { TextEnv } from '../envs/text-env';\nexport type X = TextEnv;", 'src/agent/probe.ts'],
    ["import type { LlmClient } from '../../llm/types';\nexport type X = LlmClient;", 'src/agent/prompts/probe.ts'],
    [
      "import type { PolicyCallResult } from '../activities/types';\nexport type X = PolicyCallResult;",
      'src/agent/probe.ts',
    ],
    ["import { cancelSignal } from '../workflows/messages';\nexport const x = cancelSignal;", 'src/agent/probe.ts'],
  ])(
    'rejects %s',
    async (code, file) => {
      const errors = await boundaryErrors(code, file);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/pure core/);
    },
    60_000,
  );

  it('lets the core import its own vocabulary, and the core as committed passes', async () => {
    expect(
      await boundaryErrors(
        "import type { EnvSpec } from './vocabulary';\nexport type X = EnvSpec;",
        'src/agent/probe.ts',
      ),
    ).toEqual([]);
    const results = lint(['src/agent']);
    const violations = results.flatMap((r) =>
      r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => `${r.filePath}: ${m.message}`),
    );
    expect(violations).toEqual([]);
  }, 120_000);
});
