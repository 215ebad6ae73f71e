import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_BUCKETS, LOCAL_CREDENTIALS } from '../../../local/endpoints';
import { startS3Server, type LocalS3 } from '../../../local/s3-server';
import {
  LOCAL_STATE_MACHINE_ARN,
  LocalStepFunctions,
  type Execution,
  type LocalStepFunctionsOptions,
  type TaskHandler,
} from '../../../local/step-functions';
import { TransientError, ValidationError } from '../../../shared/errors';

const BUCKET = LOCAL_BUCKETS.exports;
const RETRY = [
  {
    ErrorEquals: ['TransientError'],
    IntervalSeconds: 2,
    MaxAttempts: 3,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  },
];
const CATCH = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' }];

/**
 * A test machine shaped as the export's: Plan writes the shard list to S3, a Distributed Map
 * reads it with ItemReader and renders each shard in a child execution, then Package; any
 * failure goes to RecordFailure and Fail.
 */
function testAsl(map: Record<string, unknown> = {}, reader: Record<string, unknown> = {}): string {
  const task = (placeholder: string, rest: Record<string, unknown>) => ({
    Type: 'Task',
    Resource: '${' + placeholder + '}',
    TimeoutSeconds: 10,
    Retry: RETRY,
    ...rest,
  });
  const definition = {
    StartAt: 'Plan',
    TimeoutSeconds: 120,
    States: {
      Plan: task('PlanFunctionArn', { ResultPath: '$.plan', Catch: CATCH, Next: 'ForEachShard' }),
      ForEachShard: {
        Type: 'Map',
        Label: 'Shards',
        MaxConcurrency: 2,
        ToleratedFailurePercentage: 0,
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSON' },
          Parameters: { 'Bucket.$': '$.plan.bucket', 'Key.$': '$.plan.key' },
          ...reader,
        },
        ItemSelector: {
          'exportId.$': '$.exportId',
          'shard.$': '$$.Map.Item.Value',
          'index.$': '$$.Map.Item.Index',
        },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Render',
          States: { Render: task('RenderFunctionArn', { End: true }) },
        },
        ResultPath: null,
        Catch: CATCH,
        Next: 'Package',
        ...map,
      },
      Package: task('PackageFunctionArn', { ResultPath: null, Catch: CATCH, End: true }),
      RecordFailure: task('RecordFailureFunctionArn', {
        Parameters: { 'error.$': '$.error', 'execution.$': '$$.Execution.Id' },
        Next: 'Failed',
      }),
      Failed: { Type: 'Fail', Error: 'ExportFailed', Cause: 'see the record' },
    },
  };
  return JSON.stringify(definition);
}

let server: LocalS3;
let s3: S3Client;
let directory: string;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'local-sfn-'));
  server = await startS3Server(directory);
  s3 = new S3Client({
    endpoint: server.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
});

afterAll(async () => {
  s3.destroy();
  await server.close();
  rmSync(directory, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the test machine's handlers saw. */
interface Calls {
  renders: Array<{ exportId: string; shard: unknown; index: number }>;
  concurrent: number;
  mostConcurrent: number;
  packages: number;
  failures: Array<{ error: { Error: string; Cause: string }; execution: string }>;
}

let calls: Calls;
beforeEach(() => {
  calls = { renders: [], concurrent: 0, mostConcurrent: 0, packages: 0, failures: [] };
});

/**
 * The test machine's handlers: Plan writes `shardList` (text) to `work/{exportId}/shards.json`
 * unless told to name another key; Render runs `render` for each shard.
 */
function handlers(
  shardList: string,
  render: (event: Calls['renders'][number]) => Promise<unknown> = () => sleep(20),
  planKey?: string,
): Record<string, TaskHandler> {
  return {
    Plan: {
      substitution: 'PlanFunctionArn',
      handler: async (event: { exportId: string }) => {
        const key = `work/${event.exportId}/shards.json`;
        await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: shardList }));
        return { bucket: BUCKET, key: planKey ?? key };
      },
    },
    Render: {
      substitution: 'RenderFunctionArn',
      handler: async (event: Calls['renders'][number]) => {
        calls.renders.push(event);
        calls.mostConcurrent = Math.max(calls.mostConcurrent, ++calls.concurrent);
        try {
          await render(event);
        } finally {
          calls.concurrent--;
        }
        return { rendered: event.index, shard: event.shard };
      },
    },
    Package: { substitution: 'PackageFunctionArn', handler: async () => void calls.packages++ },
    RecordFailure: {
      substitution: 'RecordFailureFunctionArn',
      handler: async (event: Calls['failures'][number]) => void calls.failures.push(event),
    },
  };
}

const SHARDS = [
  { kind: 'images', n: 0 },
  { kind: 'images', n: 1 },
  { kind: 'masks', n: 2 },
  'three',
  4,
];

function runner(
  definition: string,
  tasks: Record<string, TaskHandler>,
  options: LocalStepFunctionsOptions = {},
) {
  return new LocalStepFunctions({ machine: { definition, tasks }, s3, ...options });
}

async function run(
  machine: LocalStepFunctions,
  input: object = { exportId: 'e1' },
): Promise<Execution> {
  const execution = machine.start(
    `run-${Math.random().toString(16).slice(2)}`,
    JSON.stringify(input),
  );
  await execution.done;
  return execution;
}

describe('local Step Functions: a Distributed Map with an ItemReader', () => {
  it('reads the shard list that Plan wrote to S3 and runs each item in its own child execution', async () => {
    const machine = runner(testAsl(), handlers(JSON.stringify(SHARDS)));
    const execution = await run(machine, { exportId: 'e1', projectId: 'p' });
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    expect(calls.renders.sort((a, b) => a.index - b.index)).toEqual(
      SHARDS.map((shard, index) => ({ exportId: 'e1', shard, index })),
    );
    expect(calls.mostConcurrent).toBe(2);
    expect(calls.packages).toBe(1);
    // ResultPath null: the Map's results stay out of the state.
    expect(JSON.parse(execution.output!)).toEqual({
      exportId: 'e1',
      projectId: 'p',
      plan: { bucket: BUCKET, key: 'work/e1/shards.json' },
    });
    const [mapRun] = execution.mapRuns;
    expect(mapRun).toMatchObject({ state: 'ForEachShard', items: 5, succeeded: 5, failed: [] });
    expect(mapRun!.mapRunArn).toMatch(
      /^arn:aws:states:us-east-1:000000000000:mapRun:annotation-export\/Shards:/,
    );
    await machine.close();
  });

  it('reads JSONL from a key built by an intrinsic, takes MaxItems, and MaxConcurrency from a path', async () => {
    const asl = testAsl(
      { MaxConcurrency: undefined, MaxConcurrencyPath: '$.concurrency' },
      {
        ReaderConfig: { InputType: 'JSONL', MaxItems: 4 },
        Parameters: {
          'Bucket.$': '$.plan.bucket',
          'Key.$': "States.Format('work/{}/shards.json', $.exportId)",
        },
      },
    );
    const lines = SHARDS.map((shard) => JSON.stringify(shard)).join('\n') + '\n';
    const machine = runner(asl, handlers(lines));
    const execution = await run(machine, { exportId: 'e2', concurrency: 3 });
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    expect(calls.renders.map((r) => r.shard).sort()).toEqual(SHARDS.slice(0, 4).sort());
    expect(calls.mostConcurrent).toBe(3);
    await machine.close();
  });

  it('fails the Map with States.ItemReaderFailed when the object is missing or not an array, and the Catch takes it', async () => {
    for (const [list, key] of [
      ['[]', 'work/e3/none.json'],
      ['{"shards": []}', undefined],
      ['[1, 2', undefined],
    ] as const) {
      calls.failures = [];
      const machine = runner(testAsl(), handlers(list, undefined, key));
      const execution = await run(machine, { exportId: 'e3' });
      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('ExportFailed');
      expect(calls.failures).toHaveLength(1);
      expect(calls.failures[0]!.error.Error).toBe('States.ItemReaderFailed');
      if (key) expect(calls.failures[0]!.error.Cause).toContain(`s3://${BUCKET}/${key}`);
      expect(calls.renders).toEqual([]);
      expect(calls.packages).toBe(0);
      await machine.close();
    }
  });

  it('fails the Map with States.ExceedToleratedFailureThreshold when a child fails, and starts no more children', async () => {
    const render = async (event: { index: number }) => {
      if (event.index === 1) throw new ValidationError('shard 1 is broken');
    };
    const machine = runner(
      testAsl({ MaxConcurrency: 1 }),
      handlers(JSON.stringify(SHARDS), render),
    );
    const execution = await run(machine);
    expect(execution.status).toBe('FAILED');
    expect(calls.failures.map((f) => f.error)).toEqual([
      {
        Error: 'States.ExceedToleratedFailureThreshold',
        Cause: 'The specified tolerated failure threshold was exceeded',
      },
    ]);
    expect(calls.failures[0]!.execution).toBe(execution.executionArn);
    expect(calls.renders.map((r) => r.index)).toEqual([0, 1]);
    const [mapRun] = execution.mapRuns;
    expect(mapRun!.failed).toEqual([
      {
        index: 1,
        executionArn: expect.stringMatching(/:execution:annotation-export\/Shards:/),
        error: 'ValidationError',
        cause: 'shard 1 is broken',
      },
    ]);
    expect(calls.packages).toBe(0);
    await machine.close();
  });

  it("retries a child's Task (Retry with JitterStrategy) and times it out at its TimeoutSeconds", async () => {
    const attempts = new Map<number, number>();
    const flaky = async (event: { index: number }) => {
      const attempt = (attempts.get(event.index) ?? 0) + 1;
      attempts.set(event.index, attempt);
      if (attempt < 3) throw new TransientError('try again');
    };
    const retrying = runner(testAsl(), handlers(JSON.stringify(SHARDS), flaky));
    expect((await run(retrying)).status).toBe('SUCCEEDED');
    expect([...attempts.values()]).toEqual([3, 3, 3, 3, 3]);
    await retrying.close();

    const slow = (event: { index: number }) => sleep(event.index === 2 ? 2500 : 10);
    const timing = runner(testAsl(), handlers(JSON.stringify(SHARDS), slow), {
      taskTimeoutSeconds: { Render: 1 },
    });
    const execution = await run(timing);
    expect(execution.status).toBe('FAILED');
    expect(calls.failures[0]!.error.Error).toBe('States.ExceedToleratedFailureThreshold');
    expect(execution.mapRuns[0]!.failed.map((f) => [f.index, f.error])).toEqual([
      [2, 'States.Timeout'],
    ]);
    await timing.close();
  });

  it('stops its child executions when the execution is stopped (StopExecution over HTTP)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const machine = runner(
      testAsl(),
      handlers(JSON.stringify(SHARDS), () => gate),
    );
    const sfn = new SFNClient({
      endpoint: await machine.listen(),
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
    });
    const started = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: LOCAL_STATE_MACHINE_ARN,
        name: 'stopped',
        input: '{"exportId":"e5"}',
      }),
    );
    while (calls.renders.length < 2) await sleep(10);
    await sfn.send(
      new StopExecutionCommand({
        executionArn: started.executionArn,
        error: 'Cancelled',
        cause: 'by the user',
      }),
    );
    const described = await sfn.send(
      new DescribeExecutionCommand({ executionArn: started.executionArn }),
    );
    expect(described).toMatchObject({
      status: 'ABORTED',
      error: 'Cancelled',
      cause: 'by the user',
    });
    release();
    await sleep(50);
    expect(calls.renders).toHaveLength(2);
    expect(calls.packages).toBe(0);
    expect(calls.failures).toEqual([]);
    expect(machine.executions.get('stopped')!.mapRuns[0]).toMatchObject({
      succeeded: 0,
      aborted: 2,
    });
    sfn.destroy();
    await machine.close();
  });

  it('keeps the child executions’ events, with their inputs, in the history when asked', async () => {
    const machine = runner(testAsl(), handlers(JSON.stringify(SHARDS.slice(0, 2))), {
      history: true,
    });
    const execution = await run(machine);
    await sleep(10);
    const childEntered = execution.history!.filter(
      (e) =>
        (e as { type: string; index?: number }).type === 'StateEntered' &&
        (e as { index?: number }).index !== undefined,
    ) as Array<{ state: { name: string; input: { shard: unknown } }; mapRunArn: string }>;
    expect(childEntered.map((e) => e.state.name)).toEqual(['Render', 'Render']);
    expect(childEntered.map((e) => e.state.input.shard)).toContainEqual(SHARDS[1]);
    expect(childEntered[0]!.mapRunArn).toBe(execution.mapRuns[0]!.mapRunArn);
    await machine.close();
  });

  it("fails with States.DataLimitExceeded when the children's outputs pass 256 KiB, uncaught", async () => {
    const shards = Array.from({ length: 300 }, (_, n) => `${n}`.padEnd(1000, '.'));
    const tooMuch = runner(
      testAsl({ MaxConcurrency: 50 }),
      handlers(JSON.stringify(shards), async () => {}),
    );
    const failed = await run(tooMuch);
    expect([failed.status, failed.error]).toEqual(['FAILED', 'States.DataLimitExceeded']);
    expect(calls.failures).toEqual([]);
    await tooMuch.close();

    const processor = JSON.parse(testAsl()).States.ForEachShard.ItemProcessor;
    processor.States.Render.OutputPath = null;
    const answersNothing = runner(
      testAsl({ MaxConcurrency: 50, ItemProcessor: processor }),
      handlers(JSON.stringify(shards), async () => {}),
    );
    expect((await run(answersNothing)).status).toBe('SUCCEEDED');
    await answersNothing.close();
  });

  it('refuses, when built, what it would not run as AWS does', () => {
    const build = (map: Record<string, unknown>) => () => runner(testAsl(map), handlers('[]'));
    expect(build({ ToleratedFailurePercentage: 5 })).toThrow(
      'ToleratedFailurePercentage other than 0',
    );
    expect(build({ ResultWriter: { Resource: 'arn:aws:states:::s3:putObject' } })).toThrow(
      'ResultWriter',
    );
    expect(build({ ItemBatcher: { MaxItemsPerBatch: 2 } })).toThrow('ItemBatcher');
    expect(() =>
      runner(
        testAsl({}, { ReaderConfig: { InputType: 'CSV', CSVHeaderLocation: 'FIRST_ROW' } }),
        handlers('[]'),
      ),
    ).toThrow('InputType CSV');
  });
});
