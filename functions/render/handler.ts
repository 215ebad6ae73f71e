import middy from '@middy/core';
import { pipelineDeps } from '../../shared/aws/deps';
import { observeStage } from '../../shared/observability/middleware';
import { renderShard } from '../../shared/pipeline/render';
import type { ExportRef, ShardRef } from '../../shared/pipeline/work';

/** Render state: one shard of a format export (or of dataset media) staged under work/. */
export const handler = middy(async (event: ExportRef & { shard: ShardRef }) => {
  const stats = await renderShard(pipelineDeps(), event);
  return { shard: stats.index, items: stats.items };
}).use(observeStage('render'));
