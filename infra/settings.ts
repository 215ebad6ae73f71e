import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { DEFAULT_SHARD_CONCURRENCY, MAX_SHARD_CONCURRENCY } from '../shared/pipeline/concurrency';

/**
 * Everything a deployment may choose, read from CDK context (`cdk deploy -c key=value` or the
 * `context` block of cdk.json). The defaults are documented in README.md ("Deploying").
 */
export interface StackSettings {
  /** CloudFormation stack name. */
  stackName: string;
  /** Days an archive and its record stay in `exports/` before S3 deletes them. */
  exportRetentionDays: number;
  /** Most items in one shard (one Lambda invocation of render or masks). */
  shardItems: number;
  /**
   * Most shards rendered at once (child executions of the Distributed Map, each one invocation of
   * render or masks): bounded by the account's Lambda concurrency, which other functions share.
   */
  shardConcurrency: number;
  /** Days function, state machine and API logs are kept. Must be a CloudWatch Logs retention. */
  logRetentionDays: RetentionDays;
  /** Days S3 server access logs are kept. */
  accessLogRetentionDays: number;
  /** An existing Cognito user pool to authorise API callers; absent: the stack creates one. */
  userPoolId: string | undefined;
  /** Steady-state requests per second the API stage accepts before answering 429. */
  apiRateLimit: number;
  /** Requests the API stage accepts in a burst above the steady rate. */
  apiBurstLimit: number;
  /** A WAFv2 web ACL (REGIONAL scope) to associate with the API stage. */
  webAclArn: string | undefined;
  /**
   * Whether the stack sets the account's API Gateway CloudWatch role (one per account and
   * region; required for execution logging). Turn off where another stack already manages it.
   */
  apiGatewayCloudWatchRole: boolean;
  /** Delete buckets, user pool and log groups with the stack (development) instead of keeping them. */
  destroyOnRemoval: boolean;
  /** Where the alarm topic sends email (a subscription to confirm); absent: no subscription. */
  alarmEmail: string | undefined;
  /** The share of invocations (0 to 1) that log at DEBUG level; the rest log from INFO. */
  debugLogSampleRate: number;
  /** Seconds an export may stay QUEUED before the queue alarm fires. */
  queuedAlarmSeconds: number;
}

export const DEFAULT_SETTINGS: StackSettings = {
  stackName: 'AnnotationExport',
  exportRetentionDays: 30,
  shardItems: 500,
  shardConcurrency: DEFAULT_SHARD_CONCURRENCY,
  logRetentionDays: RetentionDays.ONE_MONTH,
  accessLogRetentionDays: 90,
  userPoolId: undefined,
  apiRateLimit: 20,
  apiBurstLimit: 40,
  webAclArn: undefined,
  apiGatewayCloudWatchRole: true,
  destroyOnRemoval: false,
  alarmEmail: undefined,
  debugLogSampleRate: 0,
  queuedAlarmSeconds: 900,
};

const RETENTION_DAYS = new Set<number>(
  Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'),
);

/** Reads the settings from context; every bad value is reported at once, by key. */
export function readSettings(node: Node): StackSettings {
  const problems: string[] = [];
  const raw = (key: string): unknown => node.tryGetContext(key);

  // Values given with `-c key=value` arrive as strings, values in cdk.json as JSON.
  const integer = (key: string, fallback: number, min: number, max: number): number => {
    const value = raw(key);
    if (value === undefined) return fallback;
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      problems.push(
        `${key} must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`,
      );
      return fallback;
    }
    return n;
  };
  const flag = (key: string, fallback: boolean): boolean => {
    const value = raw(key);
    if (value === undefined) return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    problems.push(`${key} must be true or false, not ${JSON.stringify(value)}`);
    return fallback;
  };
  const fraction = (key: string, fallback: number): number => {
    const value = raw(key);
    if (value === undefined) return fallback;
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || !(n >= 0 && n <= 1)) {
      problems.push(`${key} must be a number from 0 to 1, not ${JSON.stringify(value)}`);
      return fallback;
    }
    return n;
  };
  const text = (key: string, pattern: RegExp, what: string): string | undefined => {
    const value = raw(key);
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string' || !pattern.test(value)) {
      problems.push(`${key} must be ${what}, not ${JSON.stringify(value)}`);
      return undefined;
    }
    return value;
  };

  const logRetentionDays = integer('logRetentionDays', DEFAULT_SETTINGS.logRetentionDays, 1, 3653);
  if (!RETENTION_DAYS.has(logRetentionDays)) {
    problems.push(
      `logRetentionDays must be one of CloudWatch Logs' retentions (${[...RETENTION_DAYS].sort((a, b) => a - b).join(', ')}), not ${logRetentionDays}`,
    );
  }
  const settings: StackSettings = {
    stackName:
      text('stackName', /^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a CloudFormation stack name') ??
      DEFAULT_SETTINGS.stackName,
    exportRetentionDays: integer(
      'exportRetentionDays',
      DEFAULT_SETTINGS.exportRetentionDays,
      1,
      3650,
    ),
    shardItems: integer('shardItems', DEFAULT_SETTINGS.shardItems, 1, 10_000),
    shardConcurrency: integer(
      'shardConcurrency',
      DEFAULT_SETTINGS.shardConcurrency,
      1,
      MAX_SHARD_CONCURRENCY,
    ),
    logRetentionDays: logRetentionDays as RetentionDays,
    accessLogRetentionDays: integer(
      'accessLogRetentionDays',
      DEFAULT_SETTINGS.accessLogRetentionDays,
      1,
      3650,
    ),
    userPoolId: text('userPoolId', /^[\w-]+_[0-9a-zA-Z]+$/, 'a Cognito user pool id'),
    apiRateLimit: integer('apiRateLimit', DEFAULT_SETTINGS.apiRateLimit, 1, 10_000),
    apiBurstLimit: integer('apiBurstLimit', DEFAULT_SETTINGS.apiBurstLimit, 1, 5_000),
    webAclArn: text('webAclArn', /^arn:aws[\w-]*:wafv2:/, 'a WAFv2 web ACL ARN'),
    apiGatewayCloudWatchRole: flag(
      'apiGatewayCloudWatchRole',
      DEFAULT_SETTINGS.apiGatewayCloudWatchRole,
    ),
    destroyOnRemoval: flag('destroyOnRemoval', DEFAULT_SETTINGS.destroyOnRemoval),
    alarmEmail: text('alarmEmail', /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an email address'),
    debugLogSampleRate: fraction('debugLogSampleRate', DEFAULT_SETTINGS.debugLogSampleRate),
    queuedAlarmSeconds: integer(
      'queuedAlarmSeconds',
      DEFAULT_SETTINGS.queuedAlarmSeconds,
      60,
      86_400,
    ),
  };
  if (problems.length > 0) {
    throw new Error(`Invalid CDK context:\n  ${problems.join('\n  ')}`);
  }
  return settings;
}
