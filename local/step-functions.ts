import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { Context } from 'aws-lambda';
import { handler as plan } from '../functions/plan/handler';
import { handler as render } from '../functions/render/handler';
import { handler as masks } from '../functions/masks/handler';
import { handler as packageHandler } from '../functions/package/handler';
import { handler as recordFailure } from '../functions/record-failure/handler';
import { invokeScoped } from './lambda-runtime';

// aws-local-stepfunctions uses Promise.withResolvers, which Node 22 has and Node 20 lacks.
const promiseStatics = Promise as unknown as { withResolvers?: () => unknown };
promiseStatics.withResolvers ??= function withResolvers<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

export const ASL_PATH = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'statemachines',
  'export.asl.json',
);
export const LOCAL_STATE_MACHINE_ARN =
  'arn:aws:states:us-east-1:000000000000:stateMachine:annotation-export';

/** The Task states of the ASL and the handler modules the Lambdas deploy. */
const TASK_HANDLERS: Record<
  string,
  { substitution: string; handler: (event: never, context: Context) => Promise<unknown> }
> = {
  Plan: { substitution: 'PlanFunctionArn', handler: plan as never },
  Render: { substitution: 'RenderFunctionArn', handler: render as never },
  Masks: { substitution: 'MasksFunctionArn', handler: masks as never },
  Package: { substitution: 'PackageFunctionArn', handler: packageHandler as never },
  RecordFailure: { substitution: 'RecordFailureFunctionArn', handler: recordFailure as never },
};

/** The ASL with `${...FunctionArn}` replaced by local ARNs, exactly as the CDK stack substitutes them. */
export function localDefinition(): StateMachineDefinition {
  let text = readFileSync(ASL_PATH, 'utf8');
  for (const [state, { substitution }] of Object.entries(TASK_HANDLERS)) {
    text = text.replaceAll(
      '${' + substitution + '}',
      `arn:aws:lambda:us-east-1:000000000000:function:${state}`,
    );
  }
  return JSON.parse(text) as StateMachineDefinition;
}

function lambdaContext(name: string): Context {
  const deadline = Date.now() + 15 * 60 * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: `local-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface Execution {
  executionArn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  done: Promise<void>;
}

/**
 * Runs the export state machine on this machine with aws-local-stepfunctions, each Task state
 * mapped to its handler module, and serves the two Step Functions actions the service uses
 * (StartExecution with its name idempotency, DescribeExecution) over HTTP, so that code starting
 * exports talks to it with @aws-sdk/client-sfn unchanged through AWS_ENDPOINT_URL_SFN.
 */
export class LocalStepFunctions {
  readonly executions = new Map<string, Execution>();
  private readonly machine = new StateMachine(localDefinition(), {
    validationOptions: { checkPaths: true, checkArn: true },
  });
  private server?: Server;

  start(name: string, input: string): Execution {
    const existing = this.executions.get(name);
    if (existing) {
      if (existing.input !== input) {
        throw Object.assign(new Error(`Execution Already Exists: '${existing.executionArn}'`), {
          code: 'ExecutionAlreadyExists',
        });
      }
      return existing;
    }
    const executionArn = `${LOCAL_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;
    const handlers = Object.fromEntries(
      Object.entries(TASK_HANDLERS).map(([state, { handler }]) => [
        state,
        (event: unknown) => {
          const context = lambdaContext(state);
          return invokeScoped(context.awsRequestId, () =>
            handler(event as never, context),
          ) as Promise<never>;
        },
      ]),
    );
    const run = this.machine.run(JSON.parse(input), {
      overrides: {
        taskResourceLocalHandlers: handlers,
        // Retries wait a few milliseconds locally instead of seconds.
        retryIntervalOverrides: { Plan: 10, Render: 10, Masks: 10, Package: 10, RecordFailure: 10 },
      },
      context: { Execution: { Name: name, Id: executionArn } },
    });
    const execution: Execution = {
      executionArn,
      name,
      input,
      status: 'RUNNING',
      startDate: new Date(),
      done: Promise.resolve(),
    };
    execution.done = run.result.then(
      (output) => {
        execution.status = 'SUCCEEDED';
        execution.output = JSON.stringify(output);
        execution.stopDate = new Date();
      },
      (error: Error & { cause?: unknown }) => {
        execution.status = 'FAILED';
        execution.error = error.name;
        execution.cause = error.message;
        execution.stopDate = new Date();
      },
    );
    this.executions.set(name, execution);
    return execution;
  }

  /** Waits for every execution started so far. */
  async settle(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done));
  }

  /** Serves the Step Functions JSON protocol on 127.0.0.1; resolves with the endpoint URL. */
  async listen(port = 0): Promise<string> {
    this.server = createServer((request, response) => {
      void this.handle(request).then(({ status, body }) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    const address = this.server.address() as { port: number };
    return `http://127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    await this.settle();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(request: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<
      string,
      string
    >;
    const action = String(request.headers['x-amz-target'] ?? '').replace(/^AWSStepFunctions\./, '');
    try {
      if (action === 'StartExecution') {
        if (body.stateMachineArn !== LOCAL_STATE_MACHINE_ARN) {
          return {
            status: 400,
            body: {
              __type: 'StateMachineDoesNotExist',
              message: `State Machine Does Not Exist: '${body.stateMachineArn}'`,
            },
          };
        }
        const execution = this.start(body.name ?? `run-${Date.now()}`, body.input ?? '{}');
        return {
          status: 200,
          body: {
            executionArn: execution.executionArn,
            startDate: execution.startDate.getTime() / 1000,
          },
        };
      }
      if (action === 'DescribeExecution') {
        const execution = [...this.executions.values()].find(
          (e) => e.executionArn === body.executionArn,
        );
        if (!execution)
          return {
            status: 400,
            body: { __type: 'ExecutionDoesNotExist', message: 'Execution Does Not Exist' },
          };
        return {
          status: 200,
          body: {
            executionArn: execution.executionArn,
            stateMachineArn: LOCAL_STATE_MACHINE_ARN,
            name: execution.name,
            status: execution.status,
            startDate: execution.startDate.getTime() / 1000,
            ...(execution.stopDate ? { stopDate: execution.stopDate.getTime() / 1000 } : {}),
            input: execution.input,
            ...(execution.output ? { output: execution.output } : {}),
            ...(execution.error ? { error: execution.error, cause: execution.cause } : {}),
          },
        };
      }
      return {
        status: 400,
        body: { __type: 'UnknownOperationException', message: `unsupported action ${action}` },
      };
    } catch (error) {
      const e = error as Error & { code?: string };
      return {
        status: 400,
        body: { __type: e.code ?? 'InvalidParameterValue', message: e.message },
      };
    }
  }
}
