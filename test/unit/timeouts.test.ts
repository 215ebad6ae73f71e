import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ASL_PATH } from '../../local/step-functions';
import { taskTimeouts } from '../../shared/pipeline/timeouts';

const task = (resource: string, timeout?: number) => ({
  Type: 'Task',
  Resource: resource,
  ...(timeout === undefined ? {} : { TimeoutSeconds: timeout }),
  End: true,
});

describe('Task timeouts from the ASL', () => {
  it("reads every Task's TimeoutSeconds by the function it invokes, nested Map states included", () => {
    expect(taskTimeouts(readFileSync(ASL_PATH, 'utf8'))).toEqual({
      PlanFunctionArn: 900,
      RenderFunctionArn: 300,
      MasksFunctionArn: 600,
      PackageFunctionArn: 900,
      RecordFailureFunctionArn: 120,
    });
  });

  it('refuses a Task without TimeoutSeconds, and two Tasks of one function that disagree', () => {
    const without = { States: { A: task('${AFunctionArn}') } };
    expect(() => taskTimeouts(JSON.stringify(without))).toThrow('Task A has no TimeoutSeconds');
    const nested = {
      States: {
        A: task('${AFunctionArn}', 10),
        M: {
          Type: 'Map',
          ItemProcessor: { States: { B: task('${AFunctionArn}', 20) } },
          End: true,
        },
      },
    };
    expect(() => taskTimeouts(JSON.stringify(nested))).toThrow('disagree');
  });

  it("finds the Tasks inside a Distributed Map's ItemProcessor", () => {
    const distributed = {
      States: {
        A: { ...task('${AFunctionArn}', 10), End: undefined, Next: 'M' },
        M: {
          Type: 'Map',
          ItemReader: {
            Resource: 'arn:aws:states:::s3:getObject',
            ReaderConfig: { InputType: 'JSON' },
            Parameters: { 'Bucket.$': '$.bucket', 'Key.$': '$.key' },
          },
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'B',
            States: { B: task('${BFunctionArn}', 30) },
          },
          End: true,
        },
      },
    };
    expect(taskTimeouts(JSON.stringify(distributed))).toEqual({
      AFunctionArn: 10,
      BFunctionArn: 30,
    });
  });
});
