import middy from '@middy/core';
import { pipelineDeps } from '../../shared/aws/deps';
import { recordFailure, type CaughtError } from '../../shared/pipeline/failure';
import type { ExportRef } from '../../shared/pipeline/work';

/** RecordFailure state: the export's record becomes FAILED with a readable reason. */
export const handler = middy(async (event: ExportRef & { error: CaughtError }) => {
  const record = await recordFailure(pipelineDeps(), event);
  return { exportId: record.id, status: record.status };
});
