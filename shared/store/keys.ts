/** Key layout of the project store (DESIGN §4), relative to the data bucket. */
export const storeKeys = {
  project: (projectId: string) => `projects/${projectId}/project.json`,
  datasetsPrefix: (projectId: string) => `projects/${projectId}/datasets/`,
  dataset: (projectId: string, datasetId: string) =>
    `projects/${projectId}/datasets/${datasetId}/dataset.json`,
  items: (projectId: string, datasetId: string) =>
    `projects/${projectId}/datasets/${datasetId}/items.jsonl`,
  media: (projectId: string, datasetId: string, mediaKey: string) =>
    `projects/${projectId}/datasets/${datasetId}/media/${mediaKey}`,
  tasksPrefix: (projectId: string) => `projects/${projectId}/tasks/`,
  task: (projectId: string, taskId: string) => `projects/${projectId}/tasks/${taskId}/task.json`,
  annotations: (projectId: string, taskId: string, datasetId: string) =>
    `projects/${projectId}/tasks/${taskId}/annotations/${datasetId}.jsonl`,
};

/** How a store key is named in user-facing messages: relative to its project (`annotations/d1.jsonl`). */
export function displayKey(key: string): string {
  const task = key.match(/^projects\/[^/]+\/tasks\/[^/]+\/(annotations\/.*)$/);
  if (task) return task[1]!;
  const dataset = key.match(/^projects\/[^/]+\/datasets\/([^/]+)\/(.*)$/);
  if (dataset) return `datasets/${dataset[1]}/${dataset[2]}`;
  return key.replace(/^projects\/[^/]+\//, '');
}
