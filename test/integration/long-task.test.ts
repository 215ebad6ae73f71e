import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_TASK_IDS } from '../../local/sample';
import { startTestStack, succeededExport, type TestStack } from '../helpers/local';

// A file of its own: this test waits over a minute, while the other files run beside it.
let stack: TestStack;
const remaining = new Map<string, number>();

beforeAll(async () => {
  stack = await startTestStack({
    stepFunctions: {
      beforeTask: async (state, _event, context) => {
        remaining.set(state, context.getRemainingTimeInMillis());
        // Package slowed past the local runner's old 60-second default for Tasks.
        if (state === 'Package') await new Promise((resolve) => setTimeout(resolve, 65_000));
      },
    },
  });
});

afterAll(async () => {
  await stack?.dispose();
});

describe('Task timeouts on the local stack', () => {
  it('lets a step run past 60 seconds, up to its Task TimeoutSeconds, and the export succeeds', async () => {
    const { record, zip } = await succeededExport(stack, {
      type: 'annotations',
      taskId: SAMPLE_TASK_IDS.objectDetection,
      format: 'coco',
    });
    expect(record.status).toBe('SUCCEEDED');
    expect(zip.names).toContain('manifest.json');
    await zip.close();
    // Each handler's Lambda context ends when its Task would time out: the ASL's numbers.
    expect(remaining.get('Package')).toBeGreaterThan(899_000);
    expect(remaining.get('Package')).toBeLessThanOrEqual(900_000);
    expect(remaining.get('Plan')).toBeGreaterThan(899_000);
    expect(remaining.get('Plan')).toBeLessThanOrEqual(900_000);
    expect(remaining.get('Render')).toBeGreaterThan(299_000);
    expect(remaining.get('Render')).toBeLessThanOrEqual(300_000);
  });
});
