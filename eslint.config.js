// ESLint flat config. TypeScript (src/, __tests__/, scripts/**/*.ts) gets typescript-eslint's
// recommended type-checked rules with the types of tsconfig.json; scripts and config files
// (.mjs/.js, outside tsconfig.json) get the plain JavaScript rules. Layout is Prettier's job
// (.prettierrc.json), so nothing here is about formatting.
//
// Every rule switched off or tuned below says why. Anything not mentioned is an error.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'build/', 'coverage/', 'node_modules/', '__tests__/fixtures/', '.footprint-test/']),
  {
    // A disable comment that no longer disables anything is an error, so they cannot pile up.
    linterOptions: { reportUnusedDisableDirectives: 'error' }
  },

  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node }
    },
    rules: {
      // Same convention as tsc's noUnusedLocals/noUnusedParameters: a leading underscore means
      // "unused on purpose" (`for await (const _chunk of entry)` drains a stream), and rest
      // siblings may drop properties (`const { compressedBytes: _, ...layer } = x`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true
        }
      ]
      // Kept on deliberately:
      // - no-explicit-any and no-unsafe-* in src/: the event payload is untrusted input; the code
      //   already narrows it with typeof checks, so `unknown` is the honest type.
      // - no-control-regex: the report code matches control characters on purpose in a few
      //   places; each says so with `// eslint-disable-next-line no-control-regex` (as
      //   src/build/log.ts does), everywhere else one is a mistake.
      // - preserve-caught-error: rethrowing with a better message should keep `{ cause }`.
    }
  },

  {
    files: ['__tests__/**/*.ts'],
    languageOptions: { globals: { ...globals.jest } },
    rules: {
      // Tests handle untyped JSON by nature: the GitHub OpenAPI description the fake API walks
      // by $ref, webhook example payloads, registry manifests, parsed YAML, request bodies the
      // action sent. Declaring a type for each shape adds nothing: a wrong guess fails the
      // assertion anyway.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Stubs of async interfaces (Exec, the registry client, hash sinks) are `async` without an
      // `await` so that they return promises and a throw becomes a rejection, like the real ones.
      '@typescript-eslint/require-await': 'off'
    }
  },

  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended, tseslint.configs.disableTypeChecked],
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      globals: { ...globals.node }
    }
  }
);
