import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC, METRICS_NAMESPACE } from '../../shared/observability/index';
import { logicalIdOf, render, synthesise, type Synthesised } from './synth';

let s: Synthesised;
type Resource = { Type: string; Properties?: Record<string, unknown> };
const ofType = (type: string) =>
  Object.entries(s.json.Resources).filter(([, r]) => r.Type === type) as [string, Resource][];
const alarmNamed = (suffix: string) => {
  const found = ofType('AWS::CloudWatch::Alarm').filter(([, r]) =>
    render(r.Properties!.AlarmName).endsWith(`-${suffix}`),
  );
  expect(found, suffix).toHaveLength(1);
  return found[0]![1].Properties!;
};

beforeAll(() => {
  s = synthesise({ context: { alarmEmail: 'ops@example.com', debugLogSampleRate: '0.1' } });
});

describe('monitoring: alarms, topic, dashboard, events', () => {
  it('sends every alarm to one SNS topic, encrypted with a rotated key and TLS only, with the email', () => {
    const [[topicId, topic]] = ofType('AWS::SNS::Topic') as [[string, Resource]];
    expect(topic.Properties!.KmsMasterKeyId).toBeDefined();
    const [[, key]] = ofType('AWS::KMS::Key') as [[string, Resource]];
    expect(key.Properties!.EnableKeyRotation).toBe(true);
    expect(JSON.stringify(key.Properties!.KeyPolicy)).toContain('cloudwatch.amazonaws.com');
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    s.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topicId },
    });
    const alarms = ofType('AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(10);
    for (const [, alarm] of alarms) {
      expect(alarm.Properties!.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties!.AlarmDescription).toMatch(/README: Operations/);
    }
  });

  it('has no subscription without an alarm email', () => {
    const bare = synthesise();
    expect(Object.values(bare.json.Resources).map((r) => r.Type)).not.toContain(
      'AWS::SNS::Subscription',
    );
  });

  it('alarms on failed executions: service failures and timed-out executions', () => {
    const alarm = alarmNamed('FailedExecutions');
    const metrics = JSON.stringify(alarm.Metrics);
    expect(metrics).toContain(METRIC.serviceFailures);
    expect(metrics).toContain('ExecutionsTimedOut');
    expect(metrics).toContain(logicalIdOf(s.stack.stateMachine));
    expect(alarm.Threshold).toBe(1);
  });

  it('alarms on errors and throttles of every function', () => {
    for (const [name, fn] of Object.entries(s.stack.functions)) {
      const title = name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase());
      for (const [suffix, metric] of [
        ['Errors', 'Errors'],
        ['Throttles', 'Throttles'],
      ]) {
        const alarm = alarmNamed(`${title}${suffix}`);
        expect(alarm).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: metric });
        expect(alarm.Dimensions).toEqual([
          { Name: 'FunctionName', Value: { Ref: logicalIdOf(fn.handler) } },
        ]);
      }
    }
  });

  it("alarms when package's longest run passes 80% of its timeout", () => {
    const alarm = alarmNamed('PackageNearTimeout');
    expect(alarm).toMatchObject({ MetricName: 'Duration', Statistic: 'Maximum' });
    expect(alarm.Threshold).toBe(s.stack.functions.package.timeout.toMilliseconds() * 0.8);
  });

  it('alarms on the API 5xx rate and on the age of the oldest QUEUED export', () => {
    const api = alarmNamed('Api5xxRate');
    expect(JSON.stringify(api.Metrics)).toContain('5XXError');
    expect(api.Threshold).toBe(5);
    const queued = alarmNamed('OldestQueuedExport');
    expect(queued).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC.oldestQueuedSeconds,
      Statistic: 'Maximum',
      Threshold: 900,
    });
  });

  it('has a dashboard of exports, stages, functions and API', () => {
    const [[, dashboard]] = ofType('AWS::CloudWatch::Dashboard') as [[string, Resource]];
    const body = render(dashboard.Properties!.DashboardBody);
    for (const name of [
      METRIC.exportsStarted,
      METRIC.exportsSucceeded,
      METRIC.exportsFailed,
      METRIC.stageSeconds,
      METRIC.archiveBytes,
      METRIC.api5xx,
      METRIC.oldestQueuedSeconds,
    ])
      expect(body).toContain(name);
  });

  it('lets package, record-failure and api put events on the default bus only', () => {
    const puts = ofType('AWS::IAM::Policy').flatMap(([, p]) =>
      (
        (p.Properties!.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement ??
        []
      )
        .filter((st) => JSON.stringify(st.Action).includes('events:PutEvents'))
        .map((st) => ({ roles: p.Properties!.Roles, resource: render(st.Resource) })),
    );
    expect(puts).toHaveLength(3);
    for (const put of puts) expect(put.resource).toMatch(/:event-bus\/default$/);
    for (const name of ['package', 'record-failure', 'api'] as const) {
      const id = logicalIdOf(s.stack.functions[name].handler);
      const env = (s.json.Resources[id]!.Properties!.Environment as { Variables: object })
        .Variables;
      expect(env).toMatchObject({ EVENT_BUS_NAME: 'default' });
    }
  });

  it('traces every function and configures Powertools from the settings', () => {
    for (const fn of Object.values(s.stack.functions)) {
      const props = s.json.Resources[logicalIdOf(fn.handler)]!.Properties!;
      expect(props.TracingConfig).toEqual({ Mode: 'Active' });
      expect((props.Environment as { Variables: object }).Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'annotation-export',
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOGGER_SAMPLE_RATE: '0.1',
      });
    }
  });
});
