import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/errors';
import { observeStage } from '../../shared/observability/middleware';
import { failureReason } from '../../shared/pipeline/failure';

const context = { awsRequestId: 'req-1234', functionName: 'plan' } as Context;
const failing = (error: Error) =>
  middy(async () => {
    throw error;
  }).use(observeStage('plan'));

describe('stage middleware', () => {
  it("puts the request id on an internal error's message, which the record's reason then names", async () => {
    const error = await failing(new TypeError('x is undefined'))(
      { exportId: 'e', projectId: 'p' },
      context,
    ).catch((e: Error) => e);
    expect((error as Error).message).toBe('x is undefined (request req-1234)');
    const reason = failureReason(
      { Error: 'TypeError', Cause: JSON.stringify({ errorMessage: (error as Error).message }) },
      { execution: 'arn:aws:states:us-east-1:1:execution:m:e' },
    );
    expect(reason.message).toContain('request req-1234');
    expect(reason.message).toContain('execution arn:aws:states:us-east-1:1:execution:m:e');
  });

  it('leaves our own errors as the user reads them', async () => {
    const error = await failing(new ValidationError('line 3: bad class'))(
      { exportId: 'e', projectId: 'p' },
      context,
    ).catch((e: Error) => e);
    expect((error as Error).message).toBe('line 3: bad class');
  });
});
