import middy from '@middy/core';
import { pipelineDeps } from '../../shared/aws/deps';
import { observeStage } from '../../shared/observability/middleware';
import { renderShard } from '../../shared/pipeline/render';
import type { ExportRef, ShardRef } from '../../shared/pipeline/work';

/**
 * Masks state: one shard of a mask export. Same core as render, deployed apart because
 * rasterising and PNG encoding want more memory (and so CPU) than text formats.
 */
export const handler = middy(async (event: ExportRef & { shard: ShardRef }) => {
  const stats = await renderShard(pipelineDeps(), event);
  return { shard: stats.index, items: stats.items };
}).use(observeStage('masks'));
