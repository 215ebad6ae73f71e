import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, readSettings } from '../../infra/settings';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, render, synthesise, type Synthesised } from './synth';

const settingsOf = (context: Record<string, unknown>) => readSettings(new App({ context }).node);

/**
 * The defaults column of README.md's "Settings" table, typed as CDK context would give them:
 * `—` is no value, `a` / `b` rows document two keys at once.
 */
function documentedDefaults(): Record<string, unknown> {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split('\n### Settings\n')[1]!.split('\n### ')[0]!;
  const defaults: Record<string, unknown> = {};
  for (const row of section.split('\n').filter((line) => line.startsWith('| `'))) {
    const [keys, values] = row
      .split('|')
      .slice(1, 3)
      .map((cell) => cell.trim());
    const names = keys!.split(' / ').map((key) => key.replaceAll('`', ''));
    const written = values!.split(' / ').map((value) => value.replaceAll('`', ''));
    names.forEach((name, i) => {
      const value = written[i]!;
      defaults[name] =
        value === '—' ? undefined : /^(true|false|\d+)$/.test(value) ? JSON.parse(value) : value;
    });
  }
  return defaults;
}

describe('stack settings from CDK context', () => {
  it('default to the values README.md documents', () => {
    const documented = documentedDefaults();
    expect(Object.keys(documented).sort()).toEqual(Object.keys(DEFAULT_SETTINGS).sort());
    expect(settingsOf({})).toEqual(documented);
  });

  it('read the alarm email, the debug sampling share and the queue alarm age, refusing bad ones', () => {
    expect(
      settingsOf({
        alarmEmail: 'ops@example.com',
        debugLogSampleRate: '0.25',
        queuedAlarmSeconds: 600,
      }),
    ).toMatchObject({
      alarmEmail: 'ops@example.com',
      debugLogSampleRate: 0.25,
      queuedAlarmSeconds: 600,
    });
    expect(settingsOf({ debugLogSampleRate: 1 }).debugLogSampleRate).toBe(1);
    expect(() =>
      settingsOf({
        alarmEmail: 'not an address',
        debugLogSampleRate: '1.5',
        queuedAlarmSeconds: '5',
      }),
    ).toThrow(
      /alarmEmail must be an email address[\s\S]*debugLogSampleRate must be a number from 0 to 1[\s\S]*queuedAlarmSeconds must be an integer from 60/,
    );
  });

  it('read `-c key=value` strings as numbers and booleans', () => {
    const settings = settingsOf({
      exportRetentionDays: '7',
      shardItems: '250',
      logRetentionDays: '14',
      apiGatewayCloudWatchRole: 'false',
      destroyOnRemoval: 'true',
      userPoolId: 'eu-west-1_AbC123',
    });
    expect(settings).toMatchObject({
      exportRetentionDays: 7,
      shardItems: 250,
      logRetentionDays: 14,
      apiGatewayCloudWatchRole: false,
      destroyOnRemoval: true,
      userPoolId: 'eu-west-1_AbC123',
    });
  });

  it('name every bad value at once', () => {
    let message = '';
    try {
      settingsOf({
        exportRetentionDays: '0',
        shardItems: 'many',
        logRetentionDays: 10,
        destroyOnRemoval: 'yes',
        webAclArn: 'acl-1',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    for (const problem of [
      'exportRetentionDays must be an integer from 1 to 3650, not "0"',
      'shardItems must be an integer from 1 to 10000, not "many"',
      "logRetentionDays must be one of CloudWatch Logs' retentions (1, 3, 5, 7, 14, 30,",
      'webAclArn must be a WAFv2 web ACL ARN, not "acl-1"',
      'destroyOnRemoval must be true or false, not "yes"',
    ]) {
      expect(message).toContain(problem);
    }
  });
});

describe('a stack built with every option set', () => {
  const poolArnSuffix = ':userpool/eu-west-1_AbC123';
  const webAclArn = 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/exports/0123';
  let built: Synthesised;
  beforeAll(() => {
    built = synthesise({
      context: {
        stackName: 'ExportsDev',
        exportRetentionDays: '7',
        shardItems: '250',
        userPoolId: 'eu-west-1_AbC123',
        webAclArn,
        apiGatewayCloudWatchRole: 'false',
        destroyOnRemoval: 'true',
      },
    });
  });

  it('is named as asked', () => {
    expect(built.stack.stackName).toBe('ExportsDev');
  });

  it('expires exports after the chosen number of days', () => {
    built.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Prefix: 'exports/', ExpirationInDays: 7 })]),
      },
    });
  });

  it('authorises callers with the imported user pool and creates none', () => {
    built.template.resourceCountIs('AWS::Cognito::UserPool', 0);
    const [authorizer] = Object.values(built.json.Resources).filter(
      (r) => r.Type === 'AWS::ApiGateway::Authorizer',
    );
    const providers = (authorizer!.Properties!.ProviderARNs as unknown[]).map(render);
    expect(providers).toHaveLength(1);
    expect(providers[0]!.endsWith(poolArnSuffix)).toBe(true);
  });

  it('passes the shard size to the functions', () => {
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SHARD_ITEMS: '250' }) },
    });
  });

  it('puts the API stage behind the web ACL and leaves the account CloudWatch role alone', () => {
    built.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: webAclArn });
    built.template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it('deletes buckets and logs with the stack', () => {
    for (const type of ['AWS::S3::Bucket', 'AWS::Logs::LogGroup']) {
      for (const resource of Object.values(built.json.Resources).filter((r) => r.Type === type)) {
        expect((resource as { DeletionPolicy?: string }).DeletionPolicy, type).toBe('Delete');
      }
    }
  });
});
