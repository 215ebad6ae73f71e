import middy from '@middy/core';
import { announceDeps, pipelineDeps } from '../../shared/aws/deps';
import { announceEnd } from '../../shared/exports/announce';
import { observeStage } from '../../shared/observability/middleware';
import { recordFailure, type CaughtError } from '../../shared/pipeline/failure';
import type { ExportRef } from '../../shared/pipeline/work';

/**
 * RecordFailure and RecordShardFailure states: the export's record becomes FAILED with a
 * readable reason, announced once, by the call that recorded it.
 */
export const handler = middy(
  async (event: ExportRef & { error: CaughtError; execution?: string }) => {
    const { record, recorded } = await recordFailure(pipelineDeps(), event);
    if (recorded) await announceEnd(announceDeps(), record);
    return { exportId: record.id, status: record.status };
  },
).use(observeStage('record-failure'));
