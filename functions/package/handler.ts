import middy from '@middy/core';
import { pipelineDeps } from '../../shared/aws/deps';
import { packageExport } from '../../shared/pipeline/package';
import type { ExportRef } from '../../shared/pipeline/work';

/** Package state: the archive, its manifest and checksums; the record becomes SUCCEEDED. */
export const handler = middy(async (event: ExportRef) => {
  const record = await packageExport(pipelineDeps(), event);
  return { exportId: record.id, status: record.status };
});
