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

const pad = (n: number) => String(n).padStart(6, '0');

/** Keys under `work/{exportId}/`; shard numbers are zero-padded so S3's listing order is shard order. */
export const workKeys = {
  root: (id: string) => `work/${id}/`,
  plan: (id: string) => `work/${id}/plan.json`,
  shardInput: (id: string, shard: number) => `work/${id}/input/${pad(shard)}/`,
  shardChunk: (id: string, shard: number, chunk: number) =>
    `work/${id}/input/${pad(shard)}/${pad(chunk)}.jsonl`,
  parts: (id: string) => `work/${id}/parts/`,
  shardParts: (id: string, shard: number) => `work/${id}/parts/${pad(shard)}/`,
  part: (id: string, shard: number, path: string) => `work/${id}/parts/${pad(shard)}/${path}`,
  bundles: (id: string, shard: number) => `work/${id}/bundles/${pad(shard)}/`,
  bundle: (id: string, shard: number, n: number) =>
    `work/${id}/bundles/${pad(shard)}/${pad(n)}.bin`,
  sources: (id: string, shard: number) => `work/${id}/sources/${pad(shard)}.jsonl`,
  statsPrefix: (id: string) => `work/${id}/stats/`,
  stats: (id: string, shard: number) => `work/${id}/stats/${pad(shard)}.json`,
};

/** Archive folder of a subset: `{subset}/` or the root. */
export function subsetPrefix(subset: string | null): string {
  return subset ? `${subset}/` : '';
}
