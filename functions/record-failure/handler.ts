import middy from '@middy/core';
import { announceDeps, pipelineDeps } from '../../shared/aws/deps';
import { announceEnd } from '../../shared/exports/announce';
import { observeStage } from '../../shared/observability/middleware';
import { recordFailure, type CaughtError } from '../../shared/pipeline/failure';
import type { ExportRef } from '../../shared/pipeline/work';

/** RecordFailure state: the export's record becomes FAILED with a readable reason. */
export const handler = middy(
  async (event: ExportRef & { error: CaughtError; execution?: string }) => {
    const record = await recordFailure(pipelineDeps(), event);
    await announceEnd(announceDeps(), record);
    return { exportId: record.id, status: record.status };
  },
).use(observeStage('record-failure'));
