import type { S3Client } from '@aws-sdk/client-s3';
import { putText } from '../aws/s3';
import type { Annotation, Dataset, DatasetItem, Project, Task } from '../model/types';
import { storeKeys } from './keys';
import { safeProjectId } from './segments';

/**
 * Writes a project store: for the sample generator and import-coco, never for exports. A project
 * id that cannot be a segment of a key and part of a group name is refused before anything is
 * written (DESIGN §15).
 */
export class StoreWriter {
  readonly projectId: string;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    projectId: string,
  ) {
    this.projectId = safeProjectId(projectId);
  }

  project(project: Project): Promise<void> {
    return this.put(storeKeys.project(this.projectId), json(project));
  }

  dataset(dataset: Dataset): Promise<void> {
    return this.put(storeKeys.dataset(this.projectId, dataset.id), json(dataset));
  }

  task(task: Task): Promise<void> {
    return this.put(storeKeys.task(this.projectId, task.id), json(task));
  }

  items(datasetId: string, items: Iterable<DatasetItem>): Promise<void> {
    return this.put(storeKeys.items(this.projectId, datasetId), jsonl(items), NDJSON);
  }

  annotations(taskId: string, datasetId: string, annotations: Iterable<Annotation>): Promise<void> {
    const key = storeKeys.annotations(this.projectId, taskId, datasetId);
    return this.put(key, jsonl(annotations), NDJSON);
  }

  media(datasetId: string, mediaKey: string, body: Uint8Array, contentType: string): Promise<void> {
    return this.put(storeKeys.media(this.projectId, datasetId, mediaKey), body, contentType);
  }

  /** One object of the store; JSON unless `contentType` says otherwise. */
  private put(key: string, body: string | Uint8Array, contentType?: string): Promise<void> {
    return putText(this.s3, this.bucket, key, body, contentType);
  }
}

const NDJSON = 'application/x-ndjson';

function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

function jsonl(values: Iterable<unknown>): string {
  let text = '';
  for (const value of values) text += JSON.stringify(value) + '\n';
  return text;
}
