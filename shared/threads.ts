import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running a TypeScript module of the source tree (tests, the local stack,
 * benchmarks): the thread loads tsx itself before importing the module, because Node 20 does not
 * apply `--import` hooks to a worker's entry module.
 */
export function sourceWorker(module: URL, options: WorkerOptions = {}): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
