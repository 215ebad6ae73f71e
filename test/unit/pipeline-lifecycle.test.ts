import { DeleteObjectsCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import { SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS, seedSampleProject } from '../../local/sample';
import { RecordStore, recordKeys } from '../../shared/exports/record';
import { startExport } from '../../shared/exports/start';
import { recordFailure } from '../../shared/pipeline/failure';
import { packageExport } from '../../shared/pipeline/package';
import { planExport } from '../../shared/pipeline/plan';
import { renderShard } from '../../shared/pipeline/render';
import type { ExportRef, PipelineDeps } from '../../shared/pipeline/work';
import { BUCKETS, fakeAws, type FakeAws } from './api/fake-aws';

const P = SAMPLE_PROJECT_ID;
let aws: FakeAws;
let deps: PipelineDeps;

beforeEach(async () => {
  aws = fakeAws();
  await seedSampleProject(aws.deps.s3, BUCKETS.data);
  deps = {
    s3: aws.deps.s3,
    dataBucket: BUCKETS.data,
    exportBucket: BUCKETS.exports,
    shardItems: 5,
  };
});

/** A password-protected export planned and rendered, ready for package. */
async function stagedExport(): Promise<ExportRef> {
  const record = await startExport(aws.deps, P, {
    type: 'annotations',
    taskId: SAMPLE_TASK_IDS.objectDetection,
    format: 'coco',
    password: 'at rest nowhere',
  });
  const ref = { exportId: record.id, projectId: P };
  const plan = await planExport(deps, ref);
  for (const shard of plan.shards) await renderShard(deps, { ...ref, shard });
  return ref;
}

/** S3 fails every delete of a key under `prefix` (the process would die there just as well). */
function failDeletesUnder(prefix: string): void {
  aws.s3Mock
    .on(DeleteObjectsCommand)
    .callsFake(({ Bucket, Delete }: { Bucket: string; Delete: { Objects: { Key: string }[] } }) => {
      if (Delete.Objects.some(({ Key }) => Key.startsWith(prefix)))
        throw new S3ServiceException({
          name: 'AccessDenied',
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
          message: 'AccessDenied',
        });
      for (const { Key } of Delete.Objects) aws.objects.delete(`${Bucket}/${Key}`);
      return {};
    });
}

const statusOf = async (ref: ExportRef) =>
  (await new RecordStore(deps.s3, BUCKETS.exports).get(ref.projectId, ref.exportId)).status;

describe('no password at rest once an export has ended', () => {
  it('package removes the password before it records SUCCEEDED, so a failure after that leaves none', async () => {
    const ref = await stagedExport();
    expect(aws.keys(BUCKETS.exports, recordKeys.secret(ref.exportId))).toHaveLength(1);
    failDeletesUnder('work/');
    await packageExport(deps, ref).catch(() => undefined);
    expect(await statusOf(ref)).toBe('SUCCEEDED');
    expect(aws.keys(BUCKETS.exports, 'secrets/')).toEqual([]);
  });

  it('record-failure removes the password before it records FAILED, so a failure after that leaves none', async () => {
    const ref = await stagedExport();
    failDeletesUnder('work/');
    const failing = recordFailure(deps, {
      ...ref,
      error: { Error: 'States.Timeout', Cause: 'Task timed out' },
    });
    await expect(failing).rejects.toThrow();
    expect(await statusOf(ref)).toBe('FAILED');
    expect(aws.keys(BUCKETS.exports, 'secrets/')).toEqual([]);
  });

  it('a retry of a package that succeeded, and a record-failure after it, leave SUCCEEDED as it is', async () => {
    const ref = await stagedExport();
    const first = await packageExport(deps, ref);
    expect(first.status).toBe('SUCCEEDED');
    expect(aws.keys(BUCKETS.exports, 'work/')).toEqual([]);
    expect(await packageExport(deps, ref)).toEqual(first);
    await recordFailure(deps, { ...ref, error: { Error: 'NotFoundError', Cause: '{}' } });
    expect(await statusOf(ref)).toBe('SUCCEEDED');
    expect(aws.keys(BUCKETS.exports, first.archive!.key)).toHaveLength(1);
  });
});
