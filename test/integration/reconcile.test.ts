import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS } from '../../local/sample';
import { listKeys } from '../../shared/aws/s3';
import { describeExecution, executionArn, stopExecution } from '../../shared/aws/sfn';
import { recordKeys } from '../../shared/exports/record';
import { startExport } from '../../shared/exports/start';
import { deleteExport, getExport, listExports } from '../../shared/exports/table';
import { workKeys } from '../../shared/pipeline/work';
import { startTestStack, type TestStack } from '../helpers/local';

const P = SAMPLE_PROJECT_ID;
let stack: TestStack;
let reachedPackage: () => void;
const atPackage = new Promise<void>((resolve) => (reachedPackage = resolve));

beforeAll(async () => {
  stack = await startTestStack({
    stepFunctions: {
      // Package never ends: the execution can only end from outside.
      beforeTask: async (state) => {
        if (state !== 'Package') return;
        reachedPackage();
        await new Promise<never>(() => undefined);
      },
    },
  });
});

afterAll(async () => {
  await stack?.dispose();
});

async function keys(prefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const { key } of listKeys(stack.s3, stack.config.exportBucket, prefix))
    found.push(key);
  return found;
}

describe('an execution stopped from outside (StopExecution on the local endpoint)', () => {
  it('is ABORTED, and its export is closed as FAILED naming it, password and staged work removed', async () => {
    const deps = stack.startDeps();
    const record = await startExport(deps, P, {
      type: 'annotations',
      taskId: SAMPLE_TASK_IDS.objectDetection,
      format: 'coco',
      password: 'stop me',
    });
    await atPackage;
    const arn = executionArn(deps.stateMachineArn, record.id);
    expect((await describeExecution(deps.sfn, arn))?.status).toBe('RUNNING');
    expect((await getExport(deps, P, record.id)).status).toBe('RUNNING');
    await expect(deleteExport(deps, P, record.id)).rejects.toMatchObject({
      name: 'ConflictError',
    });

    await stopExecution(deps.sfn, arn, { error: 'Operator', cause: 'stopped by hand' });
    const stopped = await describeExecution(deps.sfn, arn);
    expect(stopped).toMatchObject({
      status: 'ABORTED',
      error: 'Operator',
      cause: 'stopped by hand',
    });
    expect(stopped!.stopDate).toBeInstanceOf(Date);
    // Stopping again, or an execution that does not exist, changes nothing.
    await stopExecution(deps.sfn, arn);
    await stopExecution(deps.sfn, executionArn(deps.stateMachineArn, 'no-such-export'));
    expect(
      await describeExecution(deps.sfn, executionArn(deps.stateMachineArn, 'no-such-export')),
    ).toBeUndefined();

    const page = await listExports(deps, P, { limit: 10 });
    const row = page.items.find((r) => r.id === record.id)!;
    expect(row.status).toBe('FAILED');
    expect(row.error).toMatchObject({ code: 'ExecutionAborted' });
    expect(row.error!.message).toContain(arn);
    expect(await keys(recordKeys.secret(record.id))).toEqual([]);
    expect(await keys(workKeys.root(record.id))).toEqual([]);
    await deleteExport(deps, P, record.id);
    expect(await keys(`${recordKeys.prefix(P)}${record.id}/`)).toEqual([]);
  });
});
