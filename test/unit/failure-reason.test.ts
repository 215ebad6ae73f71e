import { describe, expect, it } from 'vitest';
import { failureReason } from '../../shared/pipeline/failure';

const EXECUTION =
  'arn:aws:states:eu-west-1:123456789012:execution:AnnotationExport-export:20261202T0400Z-ab';
const lambdaCause = (errorType: string, errorMessage: string) =>
  JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`, '    at x'] });

describe('failureReason: a reason the user can act on', () => {
  it('keeps our own errors in their words, with their details', () => {
    const reason = failureReason({
      Error: 'ValidationError',
      Cause: JSON.stringify({
        errorMessage: 'items.jsonl line 3: unknown class 9',
        details: ['a', 'b'],
      }),
    });
    expect(reason).toEqual({
      code: 'ValidationError',
      message: 'items.jsonl line 3: unknown class 9',
      details: ['a', 'b'],
    });
  });

  it('gives a Task timeout its own code, whether Step Functions or Lambda timed it out', () => {
    for (const error of [
      { Error: 'States.Timeout', Cause: '' },
      {
        Error: 'Sandbox.Timedout',
        Cause: lambdaCause('Sandbox.Timedout', 'Task timed out after 900.00 seconds'),
      },
      {
        Error: 'Lambda.Unknown',
        Cause:
          'The cause could not be determined because Lambda did not return an error type. Returned payload: {"errorMessage":"2026-12-02T04:00:00.000Z abc Task timed out after 300.10 seconds"}',
      },
    ]) {
      const reason = failureReason(error, { execution: EXECUTION });
      expect(reason.code, error.Error).toBe('Timeout');
      expect(reason.message).toMatch(/time limit/);
      expect(reason.message).toContain(EXECUTION);
    }
  });

  it('gives an out-of-memory its own code', () => {
    for (const error of [
      {
        Error: 'Runtime.OutOfMemory',
        Cause: lambdaCause('Runtime.OutOfMemory', 'Runtime exited with error: signal: killed'),
      },
      {
        Error: 'Runtime.ExitError',
        Cause: lambdaCause(
          'Runtime.ExitError',
          'RequestId: 1 Error: Runtime exited with error: signal: killed',
        ),
      },
    ]) {
      expect(failureReason(error).code, error.Error).toBe('OutOfMemory');
      expect(failureReason(error).message).toMatch(/out of memory/);
    }
  });

  it('gives a throttle that outlasted the retries its own code', () => {
    for (const error of [
      { Error: 'Lambda.TooManyRequestsException', Cause: 'Rate Exceeded.' },
      {
        Error: 'TransientError',
        Cause: lambdaCause('TransientError', 'reading x: temporary storage error (SlowDown)'),
      },
    ]) {
      const reason = failureReason(error);
      expect(reason.code, error.Error).toBe('Throttled');
      expect(reason.message).toMatch(/again later/);
      expect(reason.message).not.toContain('SlowDown');
    }
  });

  it('names the execution and the request id of an internal error, and no internals', () => {
    const reason = failureReason(
      {
        Error: 'TypeError',
        Cause: lambdaCause(
          'TypeError',
          "Cannot read properties of undefined (reading 'x') (request 8f1c-42)",
        ),
      },
      { execution: EXECUTION },
    );
    expect(reason.code).toBe('InternalError');
    expect(reason.message).toContain(EXECUTION);
    expect(reason.message).toContain('request 8f1c-42');
    expect(reason.message).not.toContain('Cannot read');
  });
});
