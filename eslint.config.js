import js from '@eslint/js';
import security from 'eslint-plugin-security';
import tseslint from 'typescript-eslint';

/** The code that runs: the library, the actions' entries, the CLI, the scripts and the benchmarks. */
const SECURITY_SOURCES = [
  'pipeline/**/*.{ts,js}',
  'actions/*/src/**/*.ts',
  'bin/**/*.js',
  'scripts/**/*.{ts,js}',
  'bench/**/*.{ts,js}',
];

/**
 * eslint-plugin-security's rules, as errors: a finding fails `npm run lint`
 * and `npm test` like any other. Two are off, for every file, because what they
 * flag is how this code is written rather than a risk in it:
 * - detect-object-injection flags every `x[key]`: typed array indices and
 *   lookups in typed records (hundreds here). The keys that come from outside
 *   are guarded where they enter: `--set` defines own properties (so
 *   `__proto__.x` is a key the schema refuses), and Fastify refuses request
 *   bodies with `__proto__` or `constructor.prototype` keys.
 * - detect-non-literal-fs-filename flags every path that is not a literal. A
 *   pipeline reads and writes the repository it runs in: every path is the
 *   user's own (mlops.yaml, .dvc files, arguments); the server reads only the
 *   model directory it was started with, never a path from a request.
 */
const securityRules = {
  ...Object.fromEntries(
    Object.keys(security.configs.recommended.rules).map((rule) => [rule, 'error']),
  ),
  'security/detect-object-injection': 'off',
  'security/detect-non-literal-fs-filename': 'off',
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '**/dist/',
      '**/artifacts/',
      '**/reports/',
      'coverage/',
      '.mlops/',
      '.scratch/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: SECURITY_SOURCES,
    ...security.configs.recommended,
    rules: securityRules,
  },
);
