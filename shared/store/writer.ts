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
    return putText(
      this.s3,
      this.bucket,
      storeKeys.project(this.projectId),
      JSON.stringify(project, null, 2),
    );
  }

  dataset(dataset: Dataset): Promise<void> {
    return putText(
      this.s3,
      this.bucket,
      storeKeys.dataset(this.projectId, dataset.id),
      JSON.stringify(dataset, null, 2),
    );
  }

  task(task: Task): Promise<void> {
    return putText(
      this.s3,
      this.bucket,
      storeKeys.task(this.projectId, task.id),
      JSON.stringify(task, null, 2),
    );
  }

  items(datasetId: string, items: Iterable<DatasetItem>): Promise<void> {
    return putText(
      this.s3,
      this.bucket,
      storeKeys.items(this.projectId, datasetId),
      jsonl(items),
      'application/x-ndjson',
    );
  }

  annotations(taskId: string, datasetId: string, annotations: Iterable<Annotation>): Promise<void> {
    return putText(
      this.s3,
      this.bucket,
      storeKeys.annotations(this.projectId, taskId, datasetId),
      jsonl(annotations),
      'application/x-ndjson',
    );
  }

  media(datasetId: string, mediaKey: string, body: Uint8Array, contentType: string): Promise<void> {
    return putText(
      this.s3,
      this.bucket,
      storeKeys.media(this.projectId, datasetId, mediaKey),
      body,
      contentType,
    );
  }
}

function jsonl(values: Iterable<unknown>): string {
  let text = '';
  for (const value of values) text += JSON.stringify(value) + '\n';
  return text;
}
