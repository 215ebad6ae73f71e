/**
 * Node processes started as the package function is started in Lambda (the same glibc malloc
 * settings and V8 flags, see shared/pipeline/package-runtime.ts), so that the benchmarks measure
 * what is deployed.
 */
import { PACKAGE_MALLOC_ENVIRONMENT, PACKAGE_NODE_FLAGS } from '../shared/pipeline/package-runtime';

/** Command-line arguments and environment for `node` to run `script` (TypeScript, through tsx). */
export function packageProcess(
  script: string,
  args: readonly string[] = [],
): { args: string[]; env: NodeJS.ProcessEnv } {
  return {
    args: [...PACKAGE_NODE_FLAGS, '--import', 'tsx', script, ...args],
    env: { ...process.env, ...PACKAGE_MALLOC_ENVIRONMENT },
  };
}
