// Lets a benchmark import the test suite's TypeScript support modules (__tests__/support/*.ts)
// directly: Node 24 strips their types, but they import each other as `./name.js` (the
// compiled name, as tsc and jest resolve it), which Node alone does not map to `./name.ts`.
// This resolve hook does, for relative `.js` specifiers that do not exist and only then.
// Support files that reach into src/ (git-fixture.ts: src/exec.ts has parameter properties,
// which type stripping refuses) still cannot be loaded this way.
import { registerHooks } from 'node:module';

let registered = false;

/** Registers the `.js` → `.ts` fallback once; call before the first dynamic import of a support file. */
export function allowTypeScriptImports() {
  if (registered) return;
  registered = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !/^\.\.?\/.*\.js$/.test(specifier)) throw error;
        return nextResolve(`${specifier.slice(0, -'.js'.length)}.ts`, context);
      }
    }
  });
}
