import { GetObjectCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { startExport } from '../shared/exports/start';
import { RecordStore, type ExportRecord } from '../shared/exports/record';
import type { LocalStack } from './stack';

/** Starts an export on the local stack and waits for its execution to end; returns the final record. */
export async function runExport(
  stack: LocalStack,
  projectId: string,
  request: unknown,
): Promise<ExportRecord> {
  const started = await startExport(stack.startDeps(), projectId, request);
  const execution = stack.stepFunctions.executions.get(started.id);
  if (!execution) throw new Error(`export ${started.id} started no execution`);
  await execution.done;
  return new RecordStore(stack.s3, stack.config.exportBucket).get(projectId, started.id);
}

/** The archive object of a finished export; an export without one is an error. */
async function archiveObject(
  stack: LocalStack,
  record: ExportRecord,
): Promise<GetObjectCommandOutput> {
  if (!record.archive)
    throw new Error(
      `export ${record.id} has no archive (${record.status}: ${record.error?.message ?? ''})`,
    );
  return stack.s3.send(
    new GetObjectCommand({ Bucket: stack.config.exportBucket, Key: record.archive.key }),
  );
}

/** The archive of a finished export as bytes (tests) or written to a file (demo). */
export async function readArchive(stack: LocalStack, record: ExportRecord): Promise<Buffer> {
  const response = await archiveObject(stack, record);
  return Buffer.from(await response.Body!.transformToByteArray());
}

export async function downloadArchive(
  stack: LocalStack,
  record: ExportRecord,
  file: string,
): Promise<void> {
  const response = await archiveObject(stack, record);
  await mkdir(dirname(file), { recursive: true });
  await pipeline(response.Body as Readable, createWriteStream(file));
}
