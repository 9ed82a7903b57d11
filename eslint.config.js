// Lint setup enforced by CI (`npm run lint`): typescript-eslint's recommended rules on sources,
// tests and benchmarks; formatting is Prettier's job.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // The scraper's HTTP errors carry Go's wording in their own message, and describeTransportError walks
    // `cause` chains to find undici's socket errors: a wrapper with a cause would be read past.
    files: ['src/scrape/http-*.ts'],
    rules: { 'preserve-caught-error': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setImmediate: 'readonly' } },
  },
);
