// ESLint (flat config): `npm run lint` in web/, run by scripts/test.sh.
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['**/node_modules/**', 'examples/*/dist/**', 'dist/**'] }, // dist: tools/build.mjs's bundles
  js.configs.recommended,
  {
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module' }, // e.g. Float16Array, feature-tested
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // The runtime and the demo pages run in the page and in (module) workers.
  {
    files: ['src/**/*.js', 'apps/**/*.js', 'examples/**/*.js'],
    languageOptions: { globals: { ...globals.browser, ...globals.worker } },
  },
  // Service workers of the playground.
  {
    files: ['apps/*/sw.js', 'apps/*/ort-sw.js', 'apps/kit/sw-shell.js'],
    languageOptions: { globals: { ...globals.serviceworker } },
  },
  // Node: the tests (node --test), the tools and this file.
  {
    files: ['test/**/*.js', 'tools/**/*.mjs', 'tools/**/*.js', '*.js', 'examples/*/vite.config.js'],
    languageOptions: { globals: { ...globals.node } },
  },
];
