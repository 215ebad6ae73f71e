import type { Context } from 'aws-lambda';

export interface LambdaContextOptions {
  requestId?: string;
  memoryMB?: number;
  /** The function's timeout, from which getRemainingTimeInMillis counts down. */
  timeoutMs?: number;
}

/** A Lambda context as the runtime passes it, for handlers called on this machine. */
export function lambdaContext(functionName: string, options: LambdaContextOptions = {}): Context {
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60 * 1000);
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: String(options.memoryMB ?? 1024),
    awsRequestId: options.requestId ?? `local-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
