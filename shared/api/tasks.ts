import type { S3Client } from '@aws-sdk/client-s3';
import type { Dataset, Task } from '../model/types';
import { StoreReader } from '../store/reader';

export interface TaskSummary {
  id: string;
  name: string;
  type: Task['type'];
  media: Task['media'];
  classes: Task['classes'];
  rotation_enabled: boolean;
  datasets: Array<Pick<Dataset, 'id' | 'name' | 'media'>>;
}

/**
 * GET /projects/{projectId}/tasks: what an export form offers — every task with its datasets, and
 * every dataset (type `datasets` exports need no task). NotFoundError when the project does not exist.
 */
export async function projectTasks(
  s3: S3Client,
  dataBucket: string,
  projectId: string,
): Promise<{
  project: { id: string; name: string };
  tasks: TaskSummary[];
  datasets: Array<Pick<Dataset, 'id' | 'name' | 'media'>>;
}> {
  const store = new StoreReader(s3, dataBucket, projectId);
  const project = await store.project();
  const [taskIds, datasetIds] = await Promise.all([store.taskIds(), store.datasetIds()]);
  const datasets = await Promise.all(datasetIds.map((id) => store.dataset(id)));
  const byId = new Map(datasets.map((d) => [d.id, { id: d.id, name: d.name, media: d.media }]));
  const tasks = await Promise.all(taskIds.map((id) => store.task(id)));
  return {
    project: { id: project.id, name: project.name },
    tasks: tasks.map((task) => ({
      id: task.id,
      name: task.name,
      type: task.type,
      media: task.media,
      classes: task.classes,
      rotation_enabled: task.rotation_enabled,
      // A task may name a dataset that no longer exists; the form cannot offer it.
      datasets: task.dataset_ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : [])),
    })),
    datasets: [...byId.values()],
  };
}
