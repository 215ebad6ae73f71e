import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';

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

/**
 * Reads typed values from context, collecting every bad one instead of stopping at the first.
 * Values given with `-c key=value` arrive as strings, values in cdk.json as JSON.
 */
class ContextReader {
  readonly problems: string[] = [];

  constructor(private readonly node: Node) {}

  integer(key: string, fallback: number, min: number, max: number): number {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    const n = numeric(value);
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      return this.refuse(key, `an integer from ${min} to ${max}`, value, fallback);
    }
    return n;
  }

  flag(key: string, fallback: boolean): boolean {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    return this.refuse(key, 'true or false', value, fallback);
  }

  fraction(key: string, fallback: number): number {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    const n = numeric(value);
    if (typeof n !== 'number' || !(n >= 0 && n <= 1)) {
      return this.refuse(key, 'a number from 0 to 1', value, fallback);
    }
    return n;
  }

  text(key: string, pattern: RegExp, what: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string' || !pattern.test(value)) {
      return this.refuse(key, what, value, undefined);
    }
    return value;
  }

  /** A CloudWatch Logs retention, in days. */
  retention(key: string, fallback: RetentionDays): RetentionDays {
    const days = this.integer(key, fallback, 1, 3653);
    if (!RETENTION_DAYS.has(days)) {
      const allowed = [...RETENTION_DAYS].sort((a, b) => a - b).join(', ');
      this.problems.push(
        `${key} must be one of CloudWatch Logs' retentions (${allowed}), not ${days}`,
      );
    }
    return days as RetentionDays;
  }

  private raw(key: string): unknown {
    return this.node.tryGetContext(key);
  }

  private refuse<T>(key: string, what: string, value: unknown, fallback: T): T {
    this.problems.push(`${key} must be ${what}, not ${JSON.stringify(value)}`);
    return fallback;
  }
}

function numeric(value: unknown): unknown {
  return typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
}

/** Reads the settings from context; every bad value is reported at once, by key. */
export function readSettings(node: Node): StackSettings {
  const read = new ContextReader(node);
  const defaults = DEFAULT_SETTINGS;
  // Read before the others, so that its problems head the list.
  const logRetentionDays = read.retention('logRetentionDays', defaults.logRetentionDays);
  const settings: StackSettings = {
    stackName:
      read.text('stackName', /^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a CloudFormation stack name') ??
      defaults.stackName,
    exportRetentionDays: read.integer('exportRetentionDays', defaults.exportRetentionDays, 1, 3650),
    shardItems: read.integer('shardItems', defaults.shardItems, 1, 10_000),
    logRetentionDays,
    accessLogRetentionDays: read.integer(
      'accessLogRetentionDays',
      defaults.accessLogRetentionDays,
      1,
      3650,
    ),
    userPoolId: read.text('userPoolId', /^[\w-]+_[0-9a-zA-Z]+$/, 'a Cognito user pool id'),
    apiRateLimit: read.integer('apiRateLimit', defaults.apiRateLimit, 1, 10_000),
    apiBurstLimit: read.integer('apiBurstLimit', defaults.apiBurstLimit, 1, 5_000),
    webAclArn: read.text('webAclArn', /^arn:aws[\w-]*:wafv2:/, 'a WAFv2 web ACL ARN'),
    apiGatewayCloudWatchRole: read.flag(
      'apiGatewayCloudWatchRole',
      defaults.apiGatewayCloudWatchRole,
    ),
    destroyOnRemoval: read.flag('destroyOnRemoval', defaults.destroyOnRemoval),
    alarmEmail: read.text('alarmEmail', /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an email address'),
    debugLogSampleRate: read.fraction('debugLogSampleRate', defaults.debugLogSampleRate),
    queuedAlarmSeconds: read.integer('queuedAlarmSeconds', defaults.queuedAlarmSeconds, 60, 86_400),
  };
  if (read.problems.length > 0) {
    throw new Error(`Invalid CDK context:\n  ${read.problems.join('\n  ')}`);
  }
  return settings;
}
