import { AsyncLocalStorage } from 'node:async_hooks';
import { InvokeStoreBase } from '@aws/lambda-invoke-store';

type InvocationContext = Record<string | symbol, unknown>;

/**
 * The invocation store of a Lambda environment that serves concurrent invocations, as the
 * runtime installs it at `globalThis.awslambda.InvokeStore`: each invocation's values live in
 * its own async context.
 */
class LocalInvokeStore extends InvokeStoreBase {
  private readonly als = new AsyncLocalStorage<InvocationContext>();
  getContext() {
    return this.als.getStore();
  }
  hasContext() {
    return this.als.getStore() !== undefined;
  }
  get<T = unknown>(key: string | symbol): T | undefined {
    return this.als.getStore()?.[key] as T | undefined;
  }
  set<T = unknown>(key: string | symbol, value: T): void {
    if (this.isProtectedKey(key)) throw new Error(`${String(key)} is a protected key`);
    const store = this.als.getStore();
    if (!store) throw new Error('no invocation context');
    store[key] = value;
  }
  run<T>(context: InvocationContext, fn: () => T): T {
    return this.als.run(context, fn);
  }
}

const store = new LocalInvokeStore();

/**
 * What the Lambda runtime does around each invocation, for the local stack that runs many
 * handler calls at once in one process: each call runs in an invocation scope of its own (as
 * with AWS_LAMBDA_MAX_CONCURRENCY on Lambda), so that Powertools keeps one invocation's
 * correlation keys and pending metrics apart from another's. The store is (re)installed on each
 * call: the AWS SDK installs a single-context one of its own when it finds none.
 */
export async function invokeScoped<T>(requestId: string, call: () => Promise<T>): Promise<T> {
  const global = globalThis as { awslambda?: { InvokeStore?: unknown } };
  global.awslambda ??= {};
  global.awslambda.InvokeStore = store;
  process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '64';
  return store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: requestId }, call);
}
