/**
 * Node processes started as the package function is started in Lambda (the same glibc malloc
 * settings and V8 flags, see shared/pipeline/package-runtime.ts), so that the benchmarks measure
 * what is deployed.
 */
import { spawnSync } from 'node:child_process';
import { PACKAGE_MALLOC_ENVIRONMENT, PACKAGE_NODE_FLAGS } from '../shared/pipeline/package-runtime';

/** Marks a process started by `packageProcess`. */
const MARK = 'ANNOTATION_EXPORT_PACKAGE_RUNTIME';

/** Command-line arguments and environment for `node` to run `script` (TypeScript, through tsx). */
export function packageProcess(
  script: string,
  args: readonly string[] = [],
): { args: string[]; env: NodeJS.ProcessEnv } {
  return {
    args: [...PACKAGE_NODE_FLAGS, '--import', 'tsx', script, ...args],
    env: { ...process.env, ...PACKAGE_MALLOC_ENVIRONMENT, [MARK]: '1' },
  };
}

/**
 * Runs this script again in a package process unless it already is one, and exits with its
 * status; returns only inside the package process.
 */
export function becomePackageProcess(script: string): void {
  if (process.env[MARK] === '1') return;
  const { args, env } = packageProcess(script, process.argv.slice(2));
  const run = spawnSync(process.execPath, args, { stdio: 'inherit', env });
  process.exit(run.status ?? 1);
}
