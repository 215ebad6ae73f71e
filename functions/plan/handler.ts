import middy from '@middy/core';
import { pipelineDeps } from '../../shared/aws/deps';
import { observeStage } from '../../shared/observability/middleware';
import { planExport } from '../../shared/pipeline/plan';
import type { ExportRef } from '../../shared/pipeline/work';

/** Plan state: validates and shards the export; returns where the shard list is, and the shards inline. */
export const handler = middy(async (event: ExportRef) => planExport(pipelineDeps(), event)).use(
  observeStage('plan'),
);
