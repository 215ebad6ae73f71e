import { safeMediaKey, safeProjectId, safeSegment, segmentProblem } from './segments';

/**
 * Every S3 key the service reads or writes is built here, and only from checked segments (DESIGN
 * §15): each builder checks its ids and throws a ValidationError for one that could reach outside
 * its folder. Callers check first where they can name the field (a request's `taskId`, a store
 * line's `media_key`); these checks are the guarantee that nothing unchecked gets through.
 */
const project = (id: string) => safeProjectId(id);
const task = (id: string) => safeSegment(id, 'task id');
const dataset = (id: string) => safeSegment(id, 'dataset id');
const exportId = (id: string) => safeSegment(id, 'export id');

/** Key layout of the project store (DESIGN §4), relative to the data bucket. */
export const storeKeys = {
  project: (projectId: string) => `projects/${project(projectId)}/project.json`,
  datasetsPrefix: (projectId: string) => `projects/${project(projectId)}/datasets/`,
  dataset: (projectId: string, datasetId: string) =>
    `projects/${project(projectId)}/datasets/${dataset(datasetId)}/dataset.json`,
  items: (projectId: string, datasetId: string) =>
    `projects/${project(projectId)}/datasets/${dataset(datasetId)}/items.jsonl`,
  media: (projectId: string, datasetId: string, mediaKey: string) =>
    `projects/${project(projectId)}/datasets/${dataset(datasetId)}/media/${safeMediaKey(mediaKey)}`,
  tasksPrefix: (projectId: string) => `projects/${project(projectId)}/tasks/`,
  task: (projectId: string, taskId: string) =>
    `projects/${project(projectId)}/tasks/${task(taskId)}/task.json`,
  annotations: (projectId: string, taskId: string, datasetId: string) =>
    `projects/${project(projectId)}/tasks/${task(taskId)}/annotations/${dataset(datasetId)}.jsonl`,
};

/** Records, archives and passwords in the export bucket (DESIGN §10, §12). */
export const recordKeys = {
  prefix: (projectId: string) => `exports/${project(projectId)}/`,
  record: (projectId: string, id: string) =>
    `exports/${project(projectId)}/${exportId(id)}/record.json`,
  archive: (projectId: string, id: string, safeName: string) =>
    `exports/${project(projectId)}/${exportId(id)}/${safeSegment(safeName, 'archive name')}.zip`,
  secret: (id: string) => `secrets/${exportId(id)}`,
  work: (id: string) => `work/${exportId(id)}/`,
};

const pad = (n: number) => String(n).padStart(6, '0');

/**
 * Keys under `work/{exportId}/`; shard numbers are zero-padded so S3's listing order is shard
 * order. Part paths are archive paths the formats made of safe names (DESIGN §7).
 */
export const workKeys = {
  root: (id: string) => `work/${exportId(id)}/`,
  plan: (id: string) => `work/${exportId(id)}/plan.json`,
  /** The shard list: a JSON array of every shard's iteration input, read by a Distributed Map. */
  shardList: (id: string) => `work/${exportId(id)}/shards.json`,
  shardInput: (id: string, shard: number) => `work/${exportId(id)}/input/${pad(shard)}/`,
  shardChunk: (id: string, shard: number, chunk: number) =>
    `work/${exportId(id)}/input/${pad(shard)}/${pad(chunk)}.jsonl`,
  parts: (id: string) => `work/${exportId(id)}/parts/`,
  shardParts: (id: string, shard: number) => `work/${exportId(id)}/parts/${pad(shard)}/`,
  part: (id: string, shard: number, path: string) =>
    `work/${exportId(id)}/parts/${pad(shard)}/${path}`,
  bundles: (id: string, shard: number) => `work/${exportId(id)}/bundles/${pad(shard)}/`,
  bundle: (id: string, shard: number, n: number) =>
    `work/${exportId(id)}/bundles/${pad(shard)}/${pad(n)}.bin`,
  sources: (id: string, shard: number) => `work/${exportId(id)}/sources/${pad(shard)}.jsonl`,
  statsPrefix: (id: string) => `work/${exportId(id)}/stats/`,
  stats: (id: string, shard: number) => `work/${exportId(id)}/stats/${pad(shard)}.json`,
};

/**
 * S3 request objects (DESIGN §12): `requests/{projectId}/{name}.json` and its status object
 * `requests/{projectId}/{name}.status.json`, in the data bucket.
 */
export const REQUEST_PREFIX = 'requests/';
export const STATUS_SUFFIX = '.status.json';

export const requestKeys = {
  request: (projectId: string, name: string) =>
    `${REQUEST_PREFIX}${safeSegment(projectId, 'request project id')}/${safeSegment(name, 'request name')}.json`,
  status: (projectId: string, name: string) =>
    `${REQUEST_PREFIX}${safeSegment(projectId, 'request project id')}/${safeSegment(name, 'request name')}${STATUS_SUFFIX}`,
};

/**
 * The project id and name of a request object's key. Undefined for a status object, for any key
 * that is not `requests/{projectId}/{name}.json`, and for one whose project id or name is not a
 * safe segment (`requests/../projects/p/x.json`): nothing may be read or written beside it.
 */
export function parseRequestKey(key: string): { projectId: string; name: string } | undefined {
  if (!key.startsWith(REQUEST_PREFIX) || !key.endsWith('.json') || key.endsWith(STATUS_SUFFIX))
    return undefined;
  const rest = key.slice(REQUEST_PREFIX.length, -'.json'.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return undefined;
  const projectId = rest.slice(0, slash);
  const name = rest.slice(slash + 1);
  if (segmentProblem(projectId) || segmentProblem(name)) return undefined;
  return { projectId, name };
}

/** How a store key is named in user-facing messages: relative to its project (`annotations/d1.jsonl`). */
export function displayKey(key: string): string {
  const taskFile = key.match(/^projects\/[^/]+\/tasks\/[^/]+\/(annotations\/.*)$/);
  if (taskFile) return taskFile[1]!;
  const datasetFile = key.match(/^projects\/[^/]+\/datasets\/([^/]+)\/(.*)$/);
  if (datasetFile) return `datasets/${datasetFile[1]}/${datasetFile[2]}`;
  return key.replace(/^projects\/[^/]+\//, '');
}
