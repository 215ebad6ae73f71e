import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  type IMetric,
  type IWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE } from '../../shared/observability/index';

export interface MonitoringProps {
  stateMachine: StateMachine;
  /** Every function by name, with the timeout it runs under. */
  functions: Record<string, { fn: IFunction; timeout: Duration }>;
  /** The package function's name in `functions`: its duration is watched against its timeout. */
  packageFunction: string;
  api: RestApi;
  /** Who is told when an alarm fires; none: the topic has no subscription. */
  alarmEmail: string | undefined;
  /** A QUEUED export older than this raises the queue alarm. */
  queuedAlarmSeconds: number;
  removalPolicy: RemovalPolicy;
}

const FIVE_MINUTES = Duration.minutes(5);

/** One of the service's own metrics (Powertools EMF, namespace AnnotationExport). */
function serviceMetric(name: string, statistic = 'Sum', dimensionsMap?: Record<string, string>) {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    statistic,
    period: FIVE_MINUTES,
    dimensionsMap: { service: 'annotation-export', ...dimensionsMap },
  });
}

/** All series of a metric whatever their other dimensions (format, code, stage, route). */
function everySeries(name: string, label: string, statistic = 'Sum') {
  return new MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},service,${label}} MetricName="${name}"', '${statistic}', 300)`,
    label: name,
    period: FIVE_MINUTES,
  });
}

/**
 * The alarms of README "Operations", each telling an SNS topic (encrypted with a key of its own
 * that CloudWatch may use, TLS only, optionally with an email subscription), and one dashboard.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  private readonly alarmAction: SnsAction;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = this.createTopic(props);
    this.alarmAction = new SnsAction(this.topic);
    this.watchExecutions(props.stateMachine);
    this.watchFunctions(props);
    this.watchApi(props.api);
    this.watchQueue(props.queuedAlarmSeconds);
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-operations`,
      widgets: [
        headerRow(),
        exportsRow(props.stateMachine),
        stagesRow(),
        functionsRow(Object.values(props.functions).map((f) => f.fn)),
        apiRow(props.api),
      ],
    });
  }

  private createTopic(props: MonitoringProps): Topic {
    // CloudWatch cannot publish to a topic under the AWS managed SNS key: it needs this grant.
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'annotation-export alarm topic',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: ['*'],
      }),
    );
    const topic = new Topic(this, 'AlarmTopic', {
      displayName: 'annotation-export alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.alarmEmail) topic.addSubscription(new EmailSubscription(props.alarmEmail));
    return topic;
  }

  /** An alarm that tells the topic when `metric` reaches `threshold` in one period. */
  private alarm(name: string, description: string, metric: IMetric, threshold: number): Alarm {
    const made = new Alarm(this, name, {
      alarmName: `${Stack.of(this).stackName}-${name}`,
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    made.addAlarmAction(this.alarmAction);
    this.alarms.push(made);
    return made;
  }

  private watchExecutions(sm: StateMachine): void {
    this.alarm(
      'FailedExecutions',
      'Exports failed for a reason that is not their input (internal error, timeout, out of memory, throttling), or an execution timed out as a whole. README: Operations.',
      new MathExpression({
        expression: 'service + timedOut',
        usingMetrics: {
          service: serviceMetric(METRIC.serviceFailures, 'Sum', { stage: 'record-failure' }),
          timedOut: sm.metricTimedOut({ period: FIVE_MINUTES, statistic: 'Sum' }),
        },
        period: FIVE_MINUTES,
        label: 'failed executions',
      }),
      1,
    );
  }

  private watchFunctions({ functions, packageFunction }: MonitoringProps): void {
    for (const [name, { fn, timeout }] of Object.entries(functions)) {
      const title = name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase());
      this.alarm(
        `${title}Errors`,
        `The ${name} function failed invocations (a crash, a timeout, out of memory, or an error it threw). README: Operations.`,
        fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        5,
      );
      this.alarm(
        `${title}Throttles`,
        `Invocations of the ${name} function were throttled (account or reserved concurrency). README: Operations.`,
        fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
        1,
      );
      if (name === packageFunction) {
        this.alarm(
          'PackageNearTimeout',
          `An archive took more than 80% of the package function's ${timeout.toMinutes()}-minute timeout: the next larger export will time out. README: Operations.`,
          fn.metricDuration({ period: FIVE_MINUTES, statistic: 'Maximum' }),
          Math.round(timeout.toMilliseconds() * 0.8),
        );
      }
    }
  }

  private watchApi(api: RestApi): void {
    this.alarm(
      'Api5xxRate',
      'More than 5% of API requests (of at least 10 in five minutes) answered 5xx. README: Operations.',
      new MathExpression({
        expression: 'IF(requests >= 10, 100 * errors / requests, 0)',
        usingMetrics: {
          errors: api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
          requests: api.metricCount({ period: FIVE_MINUTES, statistic: 'Sum' }),
        },
        period: FIVE_MINUTES,
        label: 'API 5xx %',
      }),
      5,
    );
  }

  private watchQueue(queuedAlarmSeconds: number): void {
    this.alarm(
      'OldestQueuedExport',
      `An export has been QUEUED for more than ${queuedAlarmSeconds} seconds: its execution did not start. README: Operations.`,
      serviceMetric(METRIC.oldestQueuedSeconds, 'Maximum'),
      queuedAlarmSeconds,
    );
  }
}

// ---- The dashboard, row by row ------------------------------------------------------------

function headerRow(): IWidget[] {
  return [
    new TextWidget({
      markdown:
        '# annotation-export\nExports by outcome, stage times, functions and API. What each alarm means: README, Operations.',
      width: 24,
      height: 2,
    }),
  ];
}

function exportsRow(sm: StateMachine): IWidget[] {
  return [
    new GraphWidget({
      title: 'Exports started / succeeded / failed (by format, failure code)',
      width: 12,
      left: [
        everySeries(METRIC.exportsStarted, 'format'),
        everySeries(METRIC.exportsSucceeded, 'format'),
        everySeries(METRIC.exportsFailed, 'code,format'),
        everySeries(METRIC.exportsCancelled, 'format'),
      ],
    }),
    new GraphWidget({
      title: 'Executions',
      width: 12,
      left: [
        sm.metricStarted({ period: FIVE_MINUTES }),
        sm.metricSucceeded({ period: FIVE_MINUTES }),
        sm.metricFailed({ period: FIVE_MINUTES }),
        sm.metricTimedOut({ period: FIVE_MINUTES }),
        sm.metricAborted({ period: FIVE_MINUTES }),
      ],
    }),
  ];
}

function stagesRow(): IWidget[] {
  return [
    new GraphWidget({
      title: 'Seconds per stage (max)',
      width: 8,
      left: [everySeries(METRIC.stageSeconds, 'stage', 'Maximum')],
    }),
    new GraphWidget({
      title: 'Archive bytes, items, annotations',
      width: 8,
      left: [serviceMetric(METRIC.archiveBytes, 'Sum', { stage: 'package' })],
      right: [
        serviceMetric(METRIC.items, 'Sum', { stage: 'package' }),
        serviceMetric(METRIC.annotations, 'Sum', { stage: 'package' }),
      ],
    }),
    new GraphWidget({
      title: 'Oldest QUEUED export (s)',
      width: 8,
      left: [serviceMetric(METRIC.oldestQueuedSeconds, 'Maximum')],
    }),
  ];
}

function functionsRow(fns: IFunction[]): IWidget[] {
  const perFunction = (title: string, metric: (fn: IFunction) => IMetric): GraphWidget =>
    new GraphWidget({ title, width: 8, left: fns.map(metric) });
  return [
    perFunction('Lambda errors', (fn) => fn.metricErrors({ period: FIVE_MINUTES })),
    perFunction('Lambda throttles', (fn) => fn.metricThrottles({ period: FIVE_MINUTES })),
    perFunction('Lambda duration (max)', (fn) =>
      fn.metricDuration({ period: FIVE_MINUTES, statistic: 'Maximum' }),
    ),
  ];
}

function apiRow(api: RestApi): IWidget[] {
  return [
    new GraphWidget({
      title: 'API 4xx / 5xx by route',
      width: 12,
      left: [everySeries(METRIC.api4xx, 'route'), everySeries(METRIC.api5xx, 'route')],
    }),
    new GraphWidget({
      title: 'API latency (p99)',
      width: 12,
      left: [api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99' })],
    }),
  ];
}
