// Type-aware lint of the whole project (product, tests, benchmarks). Style is Prettier's business, not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

// Workflow code runs in Temporal's deterministic sandbox: no Node built-in, no I/O client, no activity code
// (activities are imported as types only, through proxyActivities).
const IO_MODULES = [
  'dockerode',
  'docker-compose',
  'axios',
  'express',
  'pino',
  'pino-http',
  'prom-client',
  '@kubernetes/client-node',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  'better-sqlite3',
  'yaml',
];
const nodeBuiltins = builtinModules.flatMap((name) => [name, `node:${name}`]);

export default tseslint.config(
  { ignores: ['dist/**', '.build/**', 'node_modules/**', '.data/**', '.venv/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // tsc's noUnusedLocals / noUnusedParameters already refuse these.
      '@typescript-eslint/no-unused-vars': 'off',
      // Style rather than defects here: handlers passed as callbacks are bound or this-free, casts narrow
      // API answers, and async functions without await keep one signature for their callers.
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // Tests read JSON answers as they come (untyped bodies) and assert on them: the unsafe-any rules would only
    // make them cast everything. `any` itself stays forbidden.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins, ...IO_MODULES].map((name) => ({
            name,
            message: 'workflow code must stay deterministic: no Node built-ins or I/O here; do it in an activity',
            allowTypeImports: true,
          })),
          patterns: [
            {
              group: ['**/activities/**', '../activities', '../../activities'],
              message: 'workflows call activities through proxyActivities: import their types only (import type)',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
