// Lint: typescript-eslint with type information where it matters (floating promises), and
// boundaries: workflow and pure-core code may not import Node builtins or side-effecting modules.
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'fs',
  'path',
  'os',
  'crypto',
  'child_process',
  'http',
  'https',
  'net',
  'readline',
  'stream',
  'process',
];
const noNode = nodeBuiltins.flatMap((m) => [m, `node:${m}`]);
// Every layer besides the pure core (src/agent), which may import none of them.
const otherLayers = [
  'envs',
  'llm',
  'activities',
  'workflows',
  'cli',
  'eval',
  'server',
  'client',
  'worker',
  'project',
  'resume',
  'history-payloads',
  'history-source',
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.tools/**',
      '.step-hrl/**',
      'envserver/**',
      'coverage/**',
      'bin/**',
      'jest.config.js',
    ],
  },
  ...tseslint.configs.recommended,
  {
    // CommonJS helpers that Python tests run with node (e.g. the TypeScript codec for the trainer's tests).
    files: ['trainer/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['src/workflows/**/*.ts', 'src/agent/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: noNode.map((name) => ({
            name,
            message: 'workflow and pure-core code must stay deterministic: no Node I/O',
          })),
          patterns: [
            {
              group: ['../activities/*', '!../activities/types'],
              allowTypeImports: true,
              message: 'import activity types only',
            },
            {
              group: ['../llm/*', '!../llm/types', '!../llm/json-extract'],
              allowTypeImports: true,
              message: 'no LLM clients here',
            },
            {
              group: ['../cli/*', '../server/*'],
              message: 'workflows and the pure core do not depend on the CLI or server',
            },
          ],
        },
      ],
    },
  },
  {
    // The pure core owns its vocabulary (src/agent/vocabulary.ts, json.ts): it imports no other
    // layer, so envs, llm, activities and workflows depend on it and never the other way round.
    // (Replaces the rule above for src/agent: flat config keeps the last setting of a rule.)
    files: ['src/agent/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: noNode.map((name) => ({
            name,
            message: 'the pure core must stay deterministic: no Node I/O',
          })),
          patterns: [
            {
              group: otherLayers.flatMap((layer) => [
                `../${layer}`,
                `../${layer}/*`,
                `../../${layer}`,
                `../../${layer}/*`,
                `**/src/${layer}/*`,
              ]),
              message:
                'src/agent is the pure core: it imports no other layer (move shared types into src/agent/vocabulary.ts)',
            },
          ],
        },
      ],
    },
  },
);
