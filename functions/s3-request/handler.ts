import middy from '@middy/core';
import type { S3Event } from 'aws-lambda';
import { startDeps } from '../../shared/aws/deps';
import { handleRequestObject } from '../../shared/exports/request-object';
import type { StartDeps } from '../../shared/exports/start';
import { addCorrelation, observeRequestObjects } from '../../shared/observability/middleware';
import { countStarted } from '../../shared/observability/outcomes';

/**
 * S3 trigger (DESIGN §12): each `requests/{projectId}/{name}.json` created in the data bucket starts
 * an export; the outcome is written beside it as `{name}.status.json`.
 */
export function createS3RequestHandler(deps: () => StartDeps) {
  return middy(async (event: S3Event) => {
    const outcomes: Array<{ request: string; status: string } | null> = [];
    for (const record of event.Records) {
      if (!record.eventName.startsWith('ObjectCreated:')) continue;
      const outcome = await handleRequestObject(deps(), {
        bucket: record.s3.bucket.name,
        key: record.s3.object.key,
        eventTime: record.eventTime,
        sequencer: record.s3.object.sequencer,
        eTag: record.s3.object.eTag,
      });
      if (outcome?.status === 'STARTED') {
        addCorrelation({ exportId: outcome.exportId });
        countStarted(outcome);
      }
      outcomes.push(outcome ? { request: outcome.request, status: outcome.status } : null);
    }
    return outcomes;
  }).use(observeRequestObjects());
}

export const handler = createS3RequestHandler(startDeps);
