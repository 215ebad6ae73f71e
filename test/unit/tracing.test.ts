import { describe, expect, it } from 'vitest';
import { tracer, tracingEnabled } from '../../shared/observability/index';

describe('tracing', () => {
  it.each([
    [{ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' }, true],
    [{ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', POWERTOOLS_TRACE_ENABLED: 'FALSE' }, false],
    [{ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', AWS_SAM_LOCAL: 'true' }, false],
    [{ AWS_EXECUTION_ENV: 'AWS_Lambda_amplify-mock' }, false],
    [{ POWERTOOLS_TRACE_ENABLED: 'true' }, false],
  ])('in %j is %s', (env, enabled) => {
    expect(tracingEnabled(env)).toBe(enabled);
  });

  it('outside Lambda never loads the X-Ray SDK, whose async hook tracks every promise', () => {
    expect(tracer.powertools).toBeUndefined();
    expect((process as { namespaces?: Record<string, unknown> }).namespaces).toBeUndefined();
    const client = { send: () => undefined };
    expect(tracer.captureAWSv3Client(client)).toBe(client);
  });
});
