import middy from '@middy/core';
import { announceDeps, pipelineDeps } from '../../shared/aws/deps';
import { announceEnd } from '../../shared/exports/announce';
import { observeStage } from '../../shared/observability/middleware';
import { packageExport } from '../../shared/pipeline/package';
import type { ExportRef } from '../../shared/pipeline/work';

/** Package state: the archive, its manifest and checksums; the record becomes SUCCEEDED. */
export const handler = middy(async (event: ExportRef) => {
  const record = await packageExport(pipelineDeps(), event);
  await announceEnd(announceDeps(), record);
  return { exportId: record.id, status: record.status };
}).use(observeStage('package'));
