import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { classifyAwsError } from '../errors';
import { clientConfig } from './clients';

/** The Step Functions client; AWS_ENDPOINT_URL_SFN points at LocalStack or the local runner. */
export function createSfnClient(env: NodeJS.ProcessEnv = process.env): SFNClient {
  return new SFNClient(clientConfig('SFN', env));
}

/** `arn:...:stateMachine:M` → `arn:...:execution:M:{name}`. */
export function executionArn(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

export const EXECUTION_STATUSES = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** What an execution says about itself: enough to tell a running export from one that ended. */
export interface ExecutionState {
  executionArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate: Date | null;
  /** The error and cause it ended with (FAILED, ABORTED by a StopExecution that gave them). */
  error: string | null;
  cause: string | null;
}

/**
 * Starts an execution under a name. Step Functions keeps names unique: the same name and input
 * while the execution runs answers with that execution, a name that is taken otherwise is
 * ExecutionAlreadyExists. Either way an execution of that name exists: `existed` says which.
 */
export async function startExecution(
  sfn: SFNClient,
  request: { stateMachineArn: string; name: string; input: string },
): Promise<'started' | 'existed'> {
  try {
    await sfn.send(new StartExecutionCommand(request));
    return 'started';
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists) return 'existed';
    throw classifyAwsError(error, `starting execution ${request.name}`);
  }
}

/** The execution's state, or undefined when no execution has that ARN (not started, or gone). */
export async function describeExecution(
  sfn: SFNClient,
  arn: string,
): Promise<ExecutionState | undefined> {
  let answer;
  try {
    answer = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) return undefined;
    throw classifyAwsError(error, `describing execution ${arn}`);
  }
  return {
    executionArn: answer.executionArn ?? arn,
    name: answer.name ?? arn.split(':').pop()!,
    status: (answer.status ?? 'RUNNING') as ExecutionStatus,
    startDate: answer.startDate ?? new Date(),
    stopDate: answer.stopDate ?? null,
    error: answer.error ?? null,
    cause: answer.cause ?? null,
  };
}

/** Stops a running execution (it ends ABORTED); stopping one that has ended changes nothing. */
export async function stopExecution(
  sfn: SFNClient,
  arn: string,
  reason: { error?: string; cause?: string } = {},
): Promise<void> {
  try {
    await sfn.send(new StopExecutionCommand({ executionArn: arn, ...reason }));
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) return;
    throw classifyAwsError(error, `stopping execution ${arn}`);
  }
}
