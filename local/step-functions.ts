import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  StateMachine,
  type RunOptions,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import type { Context } from 'aws-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { handler as plan } from '../functions/plan/handler';
import { handler as render } from '../functions/render/handler';
import { handler as masks } from '../functions/masks/handler';
import { handler as packageHandler } from '../functions/package/handler';
import { handler as recordFailure } from '../functions/record-failure/handler';
import { createS3Client, getText } from '../shared/aws/s3';
import { executionArn } from '../shared/aws/sfn';
import { taskStates, taskTimeouts } from '../shared/pipeline/timeouts';
import { allStates, type AslDefinition } from './asl';
import {
  prepareDefinition,
  runDistributedMap,
  type DistributedMap,
  type MapRunEnvironment,
  type MapRunRecord,
} from './distributed-map';
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

/** A Task state's handler module and the `${...FunctionArn}` placeholder its Resource holds. */
export interface TaskHandler {
  substitution: string;
  handler: (event: never, context: Context) => Promise<unknown>;
}

/** The Task states of the ASL and the handler modules the Lambdas deploy. */
const TASK_HANDLERS: Record<string, TaskHandler> = {
  Plan: { substitution: 'PlanFunctionArn', handler: plan as never },
  Render: { substitution: 'RenderFunctionArn', handler: render as never },
  Masks: { substitution: 'MasksFunctionArn', handler: masks as never },
  Package: { substitution: 'PackageFunctionArn', handler: packageHandler as never },
  RecordFailure: { substitution: 'RecordFailureFunctionArn', handler: recordFailure as never },
};

/** An ASL's text with `${...FunctionArn}` replaced by local ARNs, as the CDK stack substitutes them. */
function substituted(text: string, tasks: Record<string, TaskHandler>): AslDefinition {
  for (const [state, { substitution }] of Object.entries(tasks)) {
    text = text.replaceAll(
      '${' + substitution + '}',
      `arn:aws:lambda:us-east-1:000000000000:function:${state}`,
    );
  }
  return JSON.parse(text) as AslDefinition;
}

/** The ASL with `${...FunctionArn}` replaced by local ARNs, exactly as the CDK stack substitutes them. */
export function localDefinition(): StateMachineDefinition {
  return substituted(readFileSync(ASL_PATH, 'utf8'), TASK_HANDLERS) as never;
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
  /** The Map Runs of its Distributed Maps, with the errors of the child executions that failed. */
  mapRuns: MapRunRecord[];
  /** With the `history` option: the runner's events, child executions' tagged with their Map Run. */
  history?: unknown[];
}

export interface LocalStepFunctionsOptions {
  /**
   * Tests only: awaited before each Task's handler with the state's name, to make a step slow or
   * fail. Handlers still run exactly as deployed.
   */
  beforeTask?: (state: string, event: unknown, context: Context) => Promise<void>;
  /** Tests only: Task states whose TimeoutSeconds is replaced, to time a step out in seconds. */
  taskTimeoutSeconds?: Record<string, number>;
  /** Tests only: another state machine (ASL text) and the handlers of its Task states. */
  machine?: { definition: string; tasks: Record<string, TaskHandler> };
  /** Tests only: keep each execution's events (state inputs and outputs) in `history`. */
  history?: boolean;
  /**
   * The client a Distributed Map's ItemReader reads with; by default one made from the
   * environment when first needed (the local stack points it at its S3 server).
   */
  s3?: S3Client;
}

type HttpAnswer = { status: number; body: unknown };
type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

const failure = (type: string, message: string): HttpAnswer => ({
  status: 400,
  body: { __type: type, message },
});

const epochSeconds = (date: Date) => date.getTime() / 1000;

function describeBody(execution: Execution): Record<string, unknown> {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: LOCAL_STATE_MACHINE_ARN,
    name: execution.name,
    status: execution.status,
    startDate: epochSeconds(execution.startDate),
    ...(execution.stopDate ? { stopDate: epochSeconds(execution.stopDate) } : {}),
    input: execution.input,
    ...(execution.output ? { output: execution.output } : {}),
    ...(execution.error ? { error: execution.error, cause: execution.cause } : {}),
  };
}

async function requestJson(request: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, string>;
}

/** How the runner's own errors say an execution ended; a failure carries its cause. */
function outcomeOf(error: Error & { cause?: Error }): [ExecutionStatus, Partial<Execution>] {
  if (error.name === 'ExecutionAbortedError') return ['ABORTED', {}];
  if (error.name === 'ExecutionTimeoutError')
    return ['TIMED_OUT', { error: 'States.Timeout', cause: error.message }];
  return [
    'FAILED',
    { error: error.cause?.name ?? error.name, cause: error.cause?.message ?? error.message },
  ];
}

/**
 * Runs the export state machine on this machine with aws-local-stepfunctions, each Task state
 * mapped to its handler module, and serves the Step Functions actions the service uses
 * (StartExecution with its name idempotency, DescribeExecution, StopExecution) over HTTP, so that
 * code starting exports talks to it with @aws-sdk/client-sfn unchanged through
 * AWS_ENDPOINT_URL_SFN. Every Task runs under the TimeoutSeconds of the ASL, as on AWS. A
 * Distributed Map reads its ItemReader from S3 and runs one child execution per item
 * (local/distributed-map.ts), which the library alone does not.
 */
export class LocalStepFunctions {
  readonly executions = new Map<string, Execution>();
  private readonly machine: StateMachine;
  private readonly maps: Map<string, DistributedMap>;
  private readonly tasks: Record<string, TaskHandler>;
  private readonly timeouts: Record<string, number>;
  /** Retries wait a few milliseconds locally instead of seconds. */
  private readonly retryIntervals: Record<string, number>;
  private s3?: S3Client;
  private server?: Server;

  constructor(private readonly options: LocalStepFunctionsOptions = {}) {
    const source = options.machine ?? {
      definition: readFileSync(ASL_PATH, 'utf8'),
      tasks: TASK_HANDLERS,
    };
    this.tasks = source.tasks;
    this.timeouts = taskTimeouts(source.definition);
    const definition = substituted(source.definition, source.tasks);
    const tasks = taskStates(definition as unknown as Parameters<typeof taskStates>[0]);
    for (const [state, seconds] of Object.entries(options.taskTimeoutSeconds ?? {}))
      tasks.get(state)!.TimeoutSeconds = seconds;
    // The definition as written must be valid ASL; the library runs it with its Distributed
    // Maps handed to runDistributedMap.
    new StateMachine(definition as never, {
      validationOptions: { checkPaths: true, checkArn: true },
    });
    const prepared = prepareDefinition(definition);
    this.maps = prepared.maps;
    this.machine = new StateMachine(prepared.definition as never, {
      validationOptions: { noValidate: true },
    });
    this.retryIntervals = Object.fromEntries(
      [...allStates(definition)].filter(([, state]) => state.Retry).map(([name]) => [name, 10]),
    );
    this.s3 = options.s3;
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
    const execution = this.launch(name, input);
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
    if (this.s3 !== this.options.s3) this.s3?.destroy();
  }

  private launch(name: string, input: string): Execution {
    const arn = executionArn(LOCAL_STATE_MACHINE_ARN, name);
    // Aborted when the execution stops or ends, so that its Map Runs stop their children.
    const halt = new AbortController();
    let stopReason: Partial<Execution> = {};
    const execution: Execution = {
      executionArn: arn,
      name,
      input,
      status: 'RUNNING',
      startDate: new Date(),
      done: Promise.resolve(),
      mapRuns: [],
      ...(this.options.history ? { history: [] } : {}),
      stop(error, cause) {
        if (execution.status !== 'RUNNING') return;
        stopReason = { error, cause };
        halt.abort();
        run.abort();
      },
    };
    const run = this.machine.run(JSON.parse(input), {
      overrides: this.overrides(execution, halt.signal),
      context: {
        Execution: { Name: name, Id: arn },
        StateMachine: { Id: LOCAL_STATE_MACHINE_ARN, Name: LOCAL_STATE_MACHINE_ARN.split(':')[6] },
      },
    });
    this.keepHistory(execution, run.eventLogs);
    const end = (status: ExecutionStatus, result: Partial<Execution>) =>
      Object.assign(execution, { status, stopDate: new Date(), ...result });
    execution.done = run.result
      .then(
        (output) => void end('SUCCEEDED', { output: JSON.stringify(output) }),
        (error: Error & { cause?: Error }) => {
          const [status, result] = outcomeOf(error);
          end(status, status === 'ABORTED' ? stopReason : result);
        },
      )
      .finally(() => halt.abort());
    return execution;
  }

  /** The run options of one execution: Task handlers, retry intervals, Distributed Maps. */
  private overrides(execution: Execution, signal: AbortSignal): RunOptions['overrides'] {
    const handlers: LocalHandlers = {};
    const overrides = {
      taskResourceLocalHandlers: handlers,
      retryIntervalOverrides: this.retryIntervals,
    };
    for (const [state, task] of Object.entries(this.tasks))
      handlers[state] = (event) => this.invoke(state, task, event) as Promise<never>;
    const environment: MapRunEnvironment = {
      stateMachineArn: LOCAL_STATE_MACHINE_ARN,
      runOptions: { overrides },
      signal,
      readObject: (bucket, key) => getText((this.s3 ??= createS3Client()), bucket, key),
      onMapRun: (record) => execution.mapRuns.push(record),
      onEvents: (events, origin) => this.keepHistory(execution, events, origin),
    };
    for (const [state, map] of this.maps)
      handlers[state] = (request) =>
        runDistributedMap(map, request as never, environment) as Promise<never>;
    return overrides;
  }

  /** Calls a Task's handler as Lambda would: its context, its timeout, its invocation scope. */
  private invoke(state: string, task: TaskHandler, event: unknown): Promise<unknown> {
    // The function's timeout is its Task's TimeoutSeconds, as the CDK stack sets it.
    const context = lambdaContext(state, { timeoutMs: this.timeouts[task.substitution]! * 1000 });
    return invokeScoped(context.awsRequestId, async () => {
      await this.options.beforeTask?.(state, event, context);
      return task.handler(event as never, context);
    });
  }

  private keepHistory(execution: Execution, events: AsyncIterable<unknown>, origin = {}): void {
    const history = execution.history;
    if (!history) return;
    void (async () => {
      for await (const event of events) history.push({ ...(event as object), ...origin });
    })();
  }

  private async handle(request: IncomingMessage): Promise<HttpAnswer> {
    const body = await requestJson(request);
    const action = String(request.headers['x-amz-target'] ?? '').replace(/^AWSStepFunctions\./, '');
    try {
      if (action === 'StartExecution') return this.startExecution(body);
      if (action !== 'DescribeExecution' && action !== 'StopExecution')
        return failure('UnknownOperationException', `unsupported action ${action}`);
      const execution = [...this.executions.values()].find(
        (e) => e.executionArn === body.executionArn,
      );
      if (!execution) return failure('ExecutionDoesNotExist', 'Execution Does Not Exist');
      if (action === 'DescribeExecution') return { status: 200, body: describeBody(execution) };
      execution.stop(body.error, body.cause);
      await execution.done;
      return { status: 200, body: { stopDate: epochSeconds(execution.stopDate!) } };
    } catch (error) {
      const e = error as Error & { code?: string };
      return failure(e.code ?? 'InvalidParameterValue', e.message);
    }
  }

  private startExecution(body: Record<string, string>): HttpAnswer {
    if (body.stateMachineArn !== LOCAL_STATE_MACHINE_ARN)
      return failure(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${body.stateMachineArn}'`,
      );
    const execution = this.start(body.name ?? `run-${Date.now()}`, body.input ?? '{}');
    return {
      status: 200,
      body: { executionArn: execution.executionArn, startDate: epochSeconds(execution.startDate) },
    };
  }
}
