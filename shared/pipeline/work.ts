import type { S3Client } from '@aws-sdk/client-s3';
import type { Annotation, Dataset, DatasetItem, Task } from '../model/types';
import type { ExportType } from '../exports/request';
import type { MaskKind } from '../formats/types';

/** What every stage function needs: the client and the two buckets. */
export interface PipelineDeps {
  s3: S3Client;
  dataBucket: string;
  exportBucket: string;
  shardItems: number;
}

/** What the state machine passes between states: ids only, far under the 256 KB payload limit. */
export interface ExportRef {
  exportId: string;
  projectId: string;
}

export interface ShardRef {
  index: number;
  kind: 'render' | 'masks';
}

/** The input of one shard's render or masks iteration: its export and its shard. */
export interface ShardEvent extends ExportRef {
  shard: ShardRef;
}

/** Where an object is: the shard list's place, which a Distributed Map's ItemReader is given. */
export interface ObjectLocation {
  bucket: string;
  key: string;
}

/**
 * Plan's output. `shardList` is the object holding every shard's ShardEvent as a JSON array, so
 * that the state's payload stays small at any number of shards; `shards` carries the same shards
 * inline for a Map that reads them from the state.
 */
export interface PlanOutput extends ExportRef {
  shards: ShardRef[];
  shardCount: number;
  shardList: ObjectLocation;
}

export interface ShardPlan {
  index: number;
  datasetId: string;
  subset: string | null;
  items: number;
}

/** `work/{exportId}/plan.json`: everything later stages need to know about the export. */
export interface Plan {
  exportId: string;
  projectId: string;
  exportName: string;
  createdAt: string;
  type: ExportType;
  format: string | null;
  maskKind: MaskKind | null;
  task: Task | null;
  datasets: Array<{ dataset: Dataset; folder: string }>;
  subsets: string[] | null;
  shards: ShardPlan[];
}

/** A line of a shard's input chunk: an item with its safe name, or one of its annotations. */
export type ShardLine = { item: DatasetItem; name: string } | { annotation: Annotation };

/** Per-shard counts and warnings that package gathers into the manifest; also marks the shard done. */
export interface ShardStats {
  index: number;
  items: number;
  annotations: number;
  warnings: string[];
}

/** Keys under `work/{exportId}/` live with every other key layout. */
export { workKeys } from '../store/keys';

/** Archive folder of a subset: `{subset}/` or the root. */
export function subsetPrefix(subset: string | null): string {
  return subset ? `${subset}/` : '';
}
