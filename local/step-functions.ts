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
import { executionArn } from '../shared/aws/sfn';
import { taskStates, taskTimeouts } from '../shared/pipeline/timeouts';
import { lambdaContext } from './lambda-context';
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

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

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
  /** Stops the execution (StopExecution): it ends ABORTED with this error and cause. */
  stop(error?: string, cause?: string): void;
}

export interface LocalStepFunctionsOptions {
  /**
   * Tests only: awaited before each Task's handler with the state's name, to make a step slow or
   * fail. Handlers still run exactly as deployed.
   */
  beforeTask?: (state: string, event: unknown, context: Context) => Promise<void>;
  /** Tests only: Task states whose TimeoutSeconds is replaced, to time a step out in seconds. */
  taskTimeoutSeconds?: Record<string, number>;
}

/**
 * Runs the export state machine on this machine with aws-local-stepfunctions, each Task state
 * mapped to its handler module, and serves the Step Functions actions the service uses
 * (StartExecution with its name idempotency, DescribeExecution, StopExecution) over HTTP, so that
 * code starting exports talks to it with @aws-sdk/client-sfn unchanged through
 * AWS_ENDPOINT_URL_SFN. Every Task runs under the TimeoutSeconds of the ASL, as on AWS.
 */
export class LocalStepFunctions {
  readonly executions = new Map<string, Execution>();
  private readonly machine: StateMachine;
  private readonly timeouts = taskTimeouts(readFileSync(ASL_PATH, 'utf8'));
  private server?: Server;

  constructor(private readonly options: LocalStepFunctionsOptions = {}) {
    const definition = localDefinition();
    const tasks = taskStates(definition as unknown as Parameters<typeof taskStates>[0]);
    for (const [state, seconds] of Object.entries(options.taskTimeoutSeconds ?? {}))
      tasks.get(state)!.TimeoutSeconds = seconds;
    this.machine = new StateMachine(definition, {
      validationOptions: { checkPaths: true, checkArn: true },
    });
  }

  start(name: string, input: string): Execution {
    const existing = this.executions.get(name);
    if (existing) {
      if (existing.input !== input || existing.status !== 'RUNNING') {
        throw Object.assign(new Error(`Execution Already Exists: '${existing.executionArn}'`), {
          code: 'ExecutionAlreadyExists',
        });
      }
      return existing;
    }
    const arn = executionArn(LOCAL_STATE_MACHINE_ARN, name);
    const handlers = Object.fromEntries(
      Object.entries(TASK_HANDLERS).map(([state, { substitution, handler }]) => [
        state,
        (event: unknown) => {
          // The function's timeout is its Task's TimeoutSeconds, as the CDK stack sets it.
          const context = lambdaContext(state, { timeoutMs: this.timeouts[substitution]! * 1000 });
          return invokeScoped(context.awsRequestId, async () => {
            await this.options.beforeTask?.(state, event, context);
            return handler(event as never, context);
          }) as Promise<never>;
        },
      ]),
    );
    const run = this.machine.run(JSON.parse(input), {
      overrides: {
        taskResourceLocalHandlers: handlers,
        // Retries wait a few milliseconds locally instead of seconds.
        retryIntervalOverrides: { Plan: 10, Render: 10, Masks: 10, Package: 10, RecordFailure: 10 },
      },
      context: { Execution: { Name: name, Id: arn } },
    });
    let stopReason: { error?: string; cause?: string } = {};
    const execution: Execution = {
      executionArn: arn,
      name,
      input,
      status: 'RUNNING',
      startDate: new Date(),
      done: Promise.resolve(),
      stop(error, cause) {
        if (execution.status !== 'RUNNING') return;
        stopReason = { error, cause };
        run.abort();
      },
    };
    const end = (status: ExecutionStatus, result: Partial<Execution>) => {
      Object.assign(execution, { status, stopDate: new Date(), ...result });
    };
    execution.done = run.result.then(
      (output) => end('SUCCEEDED', { output: JSON.stringify(output) }),
      (error: Error & { cause?: Error }) => {
        // The runner's own errors say how the execution ended; a failure carries its cause.
        if (error.name === 'ExecutionAbortedError') end('ABORTED', stopReason);
        else if (error.name === 'ExecutionTimeoutError')
          end('TIMED_OUT', { error: 'States.Timeout', cause: error.message });
        else
          end('FAILED', {
            error: error.cause?.name ?? error.name,
            cause: error.cause?.message ?? error.message,
          });
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
      const execution = [...this.executions.values()].find(
        (e) => e.executionArn === body.executionArn,
      );
      if ((action === 'DescribeExecution' || action === 'StopExecution') && !execution)
        return {
          status: 400,
          body: { __type: 'ExecutionDoesNotExist', message: 'Execution Does Not Exist' },
        };
      if (action === 'StopExecution') {
        execution!.stop(body.error, body.cause);
        await execution!.done;
        return { status: 200, body: { stopDate: execution!.stopDate!.getTime() / 1000 } };
      }
      if (action === 'DescribeExecution' && execution) {
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
