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
);
