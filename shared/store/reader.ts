import type { S3Client } from '@aws-sdk/client-s3';
import { getStream, getText, listKeys, readLines } from '../aws/s3';
import { NotFoundError, ValidationError } from '../errors';
import {
  parseAnnotation,
  parseDataset,
  parseItem,
  parseJson,
  parseProject,
  parseTask,
  type ItemLimits,
} from '../model/validate';
import type { Annotation, Dataset, DatasetItem, Project, Task } from '../model/types';
import { displayKey, storeKeys } from './keys';
import { segmentProblem } from './segments';

/**
 * Reads one project of the store. JSONL files stream line by line; every value is validated and a
 * bad one fails with its file, line and field.
 */
export class StoreReader {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    readonly projectId: string,
  ) {}

  private async json(key: string, what: string): Promise<unknown> {
    let text: string;
    try {
      text = await getText(this.s3, this.bucket, key);
    } catch (error) {
      if (error instanceof NotFoundError)
        throw new NotFoundError(`${what} does not exist (${displayKey(key)})`, { cause: error });
      throw error;
    }
    return parseJson(text, displayKey(key));
  }

  async project(): Promise<Project> {
    const key = storeKeys.project(this.projectId);
    return parseProject(await this.json(key, `project ${this.projectId}`), displayKey(key));
  }

  async task(taskId: string): Promise<Task> {
    const key = storeKeys.task(this.projectId, taskId);
    return parseTask(await this.json(key, `task ${taskId}`), displayKey(key));
  }

  async dataset(datasetId: string): Promise<Dataset> {
    const key = storeKeys.dataset(this.projectId, datasetId);
    return parseDataset(await this.json(key, `dataset ${datasetId}`), displayKey(key));
  }

  async taskIds(): Promise<string[]> {
    return this.childIds(storeKeys.tasksPrefix(this.projectId), '/task.json');
  }

  async datasetIds(): Promise<string[]> {
    return this.childIds(storeKeys.datasetsPrefix(this.projectId), '/dataset.json');
  }

  private async childIds(prefix: string, suffix: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const { key } of listKeys(this.s3, this.bucket, prefix)) {
      const rest = key.slice(prefix.length);
      const id = rest.slice(0, -suffix.length);
      // A folder whose name is not a safe segment names nothing a key may be built from.
      if (rest.endsWith(suffix) && segmentProblem(id) === undefined) ids.push(id);
    }
    return ids;
  }

  async *items(datasetId: string, limits?: ItemLimits): AsyncIterable<DatasetItem> {
    const key = storeKeys.items(this.projectId, datasetId);
    const seen = new Set<string>();
    const indices = new Set<number>();
    for await (const { value, where } of this.lines(key, `items of dataset ${datasetId}`)) {
      const item = parseItem(value, where, limits);
      if (indices.has(item.index))
        throw new ValidationError(`${where}: index ${item.index} repeats an earlier item`);
      if (seen.has(item.name))
        throw new ValidationError(`${where}: name "${item.name}" repeats an earlier item`);
      indices.add(item.index);
      seen.add(item.name);
      yield item;
    }
  }

  /**
   * A task's annotations on a dataset; a dataset the task has not annotated yet has none. With
   * `itemIndices`, an annotation of an item the dataset does not have is a problem of its line.
   */
  async *annotations(
    task: Task,
    datasetId: string,
    itemIndices?: ReadonlySet<number>,
  ): AsyncIterable<Annotation> {
    const key = storeKeys.annotations(this.projectId, task.id, datasetId);
    const classIds = new Set(task.classes.map((c) => c.id));
    for await (const { value, where } of this.lines(key, `annotations of ${datasetId}`, {
      optional: true,
    })) {
      const annotation = parseAnnotation(value, where, classIds);
      if (itemIndices && !itemIndices.has(annotation.dataset_item_index)) {
        throw new ValidationError(
          `${where}: dataset_item_index ${annotation.dataset_item_index} is not an item of dataset ${datasetId}`,
        );
      }
      yield annotation;
    }
  }

  private async *lines(
    key: string,
    what: string,
    { optional = false } = {},
  ): AsyncIterable<{ value: unknown; where: string }> {
    let stream;
    try {
      stream = await getStream(this.s3, this.bucket, key);
    } catch (error) {
      if (error instanceof NotFoundError && optional) return;
      if (error instanceof NotFoundError)
        throw new NotFoundError(`${what} does not exist (${displayKey(key)})`, { cause: error });
      throw error;
    }
    const file = displayKey(key);
    for await (const { line, number } of readLines(stream)) {
      if (line.trim() === '') continue;
      const where = `${file} line ${number}`;
      yield { value: parseJson(line, where), where };
    }
  }
}
