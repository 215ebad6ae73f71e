import { Match } from 'aws-cdk-lib/assertions';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { NODE_FLAGS_WRAPPER } from '../../infra/constructs/export-function';
import { ASL_FILE, ASL_SUBSTITUTIONS, type FunctionName } from '../../infra/export-stack';
import { DEFAULT_SETTINGS } from '../../infra/settings';
import { taskStates } from '../../shared/pipeline/timeouts';
import {
  PACKAGE_MALLOC_ENVIRONMENT,
  PACKAGE_NODE_FLAGS,
} from '../../shared/pipeline/package-runtime';
import { ROUTE_METHODS, ROUTES, type RouteName } from '../../shared/api/routes';
import { logicalIdOf, render, synthesise, type Synthesised } from './synth';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Statement = {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
};

let s: Synthesised;
let resources: [string, Resource][];
const ofType = (type: string): [string, Resource][] => resources.filter(([, r]) => r.Type === type);
const logicalId = (name: FunctionName): string => logicalIdOf(s.stack.functions[name].handler);
/** The one resource of a type. */
const only = (type: string): [string, Resource] => {
  const found = ofType(type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

beforeAll(() => {
  s = synthesise();
  resources = Object.entries(s.json.Resources);
});

/** Every statement of every identity policy, with the logical ids of the roles it is attached to. */
function identityStatements(): { roles: string[]; statement: Statement }[] {
  const out: { roles: string[]; statement: Statement }[] = [];
  for (const [, policy] of ofType('AWS::IAM::Policy')) {
    const roles = (policy.Properties!.Roles as { Ref: string }[]).map((r) => r.Ref);
    const doc = policy.Properties!.PolicyDocument as { Statement: Statement[] };
    for (const statement of doc.Statement) out.push({ roles, statement });
  }
  for (const [id, role] of ofType('AWS::IAM::Role')) {
    const inline = (role.Properties!.Policies ?? []) as {
      PolicyDocument: { Statement: Statement[] };
    }[];
    for (const p of inline)
      for (const statement of p.PolicyDocument.Statement) out.push({ roles: [id], statement });
  }
  return out;
}

function bucketPolicyStatements(): Statement[] {
  return ofType('AWS::S3::BucketPolicy').flatMap(
    ([, p]) => (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement,
  );
}

describe('buckets', () => {
  it('are all encrypted at rest and block every form of public access', () => {
    const buckets = ofType('AWS::S3::Bucket');
    // data, exports, access logs and the web page's site bucket
    expect(buckets).toHaveLength(4);
    for (const [, bucket] of buckets) {
      expect(bucket.Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
    }
  });

  it('refuse every request that does not come over TLS 1.2 or later', () => {
    for (const [id] of ofType('AWS::S3::Bucket')) {
      const policy = ofType('AWS::S3::BucketPolicy').find(
        ([, p]) => (p.Properties!.Bucket as { Ref: string }).Ref === id,
      );
      expect(policy, `bucket policy of ${id}`).toBeDefined();
      const statements = (policy![1].Properties!.PolicyDocument as { Statement: Statement[] })
        .Statement;
      const denies = statements.filter((st) => st.Effect === 'Deny' && st.Action === 's3:*');
      const resourcesDenied = (st: Statement) => list(st.Resource).map(render).sort();
      expect(denies).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          expect.objectContaining({ Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      );
      for (const deny of denies) {
        expect(resourcesDenied(deny)).toEqual([`\${${id}.Arn}`, `\${${id}.Arn}/*`]);
      }
    }
  });

  it('log their server access to the access-log bucket', () => {
    const logBucket = ofType('AWS::S3::Bucket').find(([id]) => id.startsWith('AccessLogs'))![0];
    for (const [id, bucket] of ofType('AWS::S3::Bucket')) {
      if (id === logBucket) continue;
      expect(bucket.Properties!.LoggingConfiguration).toMatchObject({
        DestinationBucketName: { Ref: logBucket },
      });
    }
  });

  it('expire staged parts after 2 days, passwords after 1 day and exports after 30 days', () => {
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'work/', ExpirationInDays: 2, Status: 'Enabled' }),
          Match.objectLike({ Prefix: 'secrets/', ExpirationInDays: 1, Status: 'Enabled' }),
          Match.objectLike({ Prefix: 'exports/', ExpirationInDays: 30, Status: 'Enabled' }),
        ]),
      },
    });
  });
});

describe('state machine', () => {
  it('runs the ASL file, with each function ARN placeholder bound to its function and the shard concurrency to its setting', () => {
    const [, machine] = only('AWS::StepFunctions::StateMachine');
    const props = machine.Properties!;
    let definition = props.DefinitionString as string;
    const substitutions = props.DefinitionSubstitutions as Record<string, unknown>;
    expect(Object.keys(substitutions).sort()).toEqual(
      [...Object.keys(ASL_SUBSTITUTIONS), 'ShardConcurrency'].sort(),
    );
    expect(substitutions.ShardConcurrency).toBe(String(DEFAULT_SETTINGS.shardConcurrency));
    for (const [placeholder, value] of Object.entries(substitutions)) {
      definition = definition.replaceAll(`\${${placeholder}}`, render(value));
    }
    let expected = readFileSync(ASL_FILE, 'utf8');
    for (const [placeholder, name] of Object.entries(ASL_SUBSTITUTIONS)) {
      expected = expected.replaceAll(`\${${placeholder}}`, `\${${logicalId(name)}.Arn}`);
    }
    expected = expected.replaceAll(
      '${ShardConcurrency}',
      String(DEFAULT_SETTINGS.shardConcurrency),
    );
    expect(JSON.parse(definition)).toEqual(JSON.parse(expected));
  });

  it('invokes, from every Task, a Node.js 22 arm64 function of this stack', () => {
    const [, machine] = only('AWS::StepFunctions::StateMachine');
    const substitutions = machine.Properties!.DefinitionSubstitutions as Record<
      string,
      { 'Fn::GetAtt': [string, string] }
    >;
    const tasks: string[] = [];
    const walk = (states: Record<string, Record<string, unknown>>): void => {
      for (const state of Object.values(states)) {
        if (state.Type === 'Task') tasks.push(state.Resource as string);
        const inner = (state.ItemProcessor ?? state.Iterator) as
          { States: Record<string, Record<string, unknown>> } | undefined;
        if (inner) walk(inner.States);
        for (const branch of (state.Branches ?? []) as {
          States: Record<string, Record<string, unknown>>;
        }[])
          walk(branch.States);
      }
    };
    walk(JSON.parse(machine.Properties!.DefinitionString as string).States);
    expect(tasks.length).toBeGreaterThanOrEqual(5);
    for (const resource of tasks) {
      const placeholder = /^\$\{(\w+)\}$/.exec(resource)?.[1];
      expect(placeholder, `Task resource ${resource}`).toBeDefined();
      const [fnId, attribute] = substitutions[placeholder!]!['Fn::GetAtt'];
      expect(attribute).toBe('Arn');
      const fn = s.json.Resources[fnId];
      expect(fn?.Type).toBe('AWS::Lambda::Function');
      expect(fn?.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    }
  });

  it("gives every Task a TimeoutSeconds equal to its function's timeout, and the execution one", () => {
    const [, machine] = only('AWS::StepFunctions::StateMachine');
    const substitutions = machine.Properties!.DefinitionSubstitutions as Record<
      string,
      { 'Fn::GetAtt': [string, string] }
    >;
    const definition = JSON.parse(machine.Properties!.DefinitionString as string);
    const tasks = taskStates(definition);
    expect([...tasks.keys()].sort()).toEqual(
      ['Masks', 'Package', 'Plan', 'RecordFailure', 'RecordShardFailure', 'Render'].sort(),
    );
    const seen = new Map<string, number>();
    for (const [name, task] of tasks) {
      const placeholder = /^\$\{(\w+)\}$/.exec(task.Resource!)![1]!;
      const fn = s.json.Resources[substitutions[placeholder]!['Fn::GetAtt'][0]]!;
      expect(task.TimeoutSeconds, name).toBeGreaterThan(0);
      expect(task.TimeoutSeconds, name).toBe(fn.Properties!.Timeout);
      seen.set(ASL_SUBSTITUTIONS[placeholder]!, fn.Properties!.Timeout as number);
    }
    // The package function keeps Lambda's longest run; no Task outlasts the execution.
    expect(seen.get('package')).toBe(900);
    expect(definition.TimeoutSeconds).toBeGreaterThan(Math.max(...seen.values()));
  });

  it('may invoke exactly the five pipeline functions', () => {
    const invoke = identityStatements().filter(({ statement }) =>
      list(statement.Action).includes('lambda:InvokeFunction'),
    );
    expect(invoke).toHaveLength(1);
    expect(list(invoke[0]!.statement.Resource).map(render).sort()).toEqual(
      Object.values(ASL_SUBSTITUTIONS)
        .map((name) => `\${${logicalId(name)}.Arn}`)
        .sort(),
    );
  });

  it("runs the shards as a Distributed Map over plan's shard list, failing on any shard's failure", () => {
    const [, machine] = only('AWS::StepFunctions::StateMachine');
    const map = JSON.parse(machine.Properties!.DefinitionString as string).States.ForEachShard;
    expect(map.ItemProcessor.ProcessorConfig).toEqual({
      Mode: 'DISTRIBUTED',
      ExecutionType: 'STANDARD',
    });
    expect(map.ItemReader).toMatchObject({
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSON' },
    });
    expect(map.ToleratedFailurePercentage).toBe(0);
  });

  it("may start, describe and stop only its own executions (the shards' child executions) and read only the shard lists", () => {
    const [, machine] = only('AWS::StepFunctions::StateMachine');
    const role = (machine.Properties!.RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    const own = identityStatements()
      .filter(({ roles }) => roles.includes(role))
      .map(({ statement }) => statement);
    const resourcesOf = (action: string) =>
      own
        .filter((st) => list(st.Action).includes(action))
        .flatMap((st) => list(st.Resource).map(render));
    const name = `${s.stack.stackName}-export`;
    expect(resourcesOf('states:StartExecution')).toEqual([
      expect.stringMatching(new RegExp(`:states:.*:stateMachine:${name}$`)),
    ]);
    for (const action of ['states:DescribeExecution', 'states:StopExecution'])
      expect(resourcesOf(action), action).toEqual([
        expect.stringMatching(new RegExp(`:states:.*:execution:${name}:\\*$`)),
      ]);
    const exportBucket = logicalIdOf(s.stack.node.findChild('Exports').node.findChild('Bucket'));
    expect(resourcesOf('s3:GetObject')).toEqual([`\${${exportBucket}.Arn}/work/*/shards.json`]);
  });

  it('logs every event without execution data and traces with X-Ray', () => {
    s.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
      TracingConfiguration: { Enabled: true },
    });
  });
});

describe('functions', () => {
  it('are the seven of the design, all Node.js 22 on arm64 with their own log group', () => {
    const names = Object.keys(s.stack.functions).sort();
    expect(names).toEqual([
      'api',
      'masks',
      'package',
      'plan',
      'record-failure',
      'render',
      's3-request',
    ]);
    for (const name of names) {
      const fn = s.json.Resources[logicalId(name as FunctionName)]!;
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
    }
  });

  it('start the zip writers (shards and package) with the streaming process settings, through the flags wrapper, package with two vCPUs; no other', () => {
    const zipWriters: FunctionName[] = ['render', 'masks', 'package'];
    expect(s.json.Resources[logicalId('package')]!.Properties!.MemorySize).toBe(3538);
    for (const name of Object.keys(s.stack.functions) as FunctionName[]) {
      const props = s.json.Resources[logicalId(name)]!.Properties!;
      const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
      if (zipWriters.includes(name)) {
        expect(env, name).toMatchObject({
          ...PACKAGE_MALLOC_ENVIRONMENT,
          AWS_LAMBDA_EXEC_WRAPPER: '/var/task/node-flags.sh',
          NODE_FLAGS: PACKAGE_NODE_FLAGS.join(' '),
        });
      } else {
        expect('AWS_LAMBDA_EXEC_WRAPPER' in env, name).toBe(false);
        expect(
          Object.keys(env).filter((key) => key.startsWith('MALLOC_')),
          name,
        ).toEqual([]);
      }
    }
  });

  it('have a flags wrapper that puts NODE_FLAGS right after the runtime binary', () => {
    const run = spawnSync(
      'bash',
      [NODE_FLAGS_WRAPPER, process.execPath, '-e', 'console.log(JSON.stringify(process.execArgv))'],
      {
        env: { ...process.env, NODE_FLAGS: '--single-threaded-gc --max-semi-space-size=16' },
        encoding: 'utf8',
      },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      '--single-threaded-gc',
      '--max-semi-space-size=16',
      '-e',
      'console.log(JSON.stringify(process.execArgv))',
    ]);
    expect(statSync(NODE_FLAGS_WRAPPER).mode & 0o111).not.toBe(0);
  });

  it('know both buckets and the shard size; those that start exports know the state machine', () => {
    for (const name of Object.keys(s.stack.functions) as FunctionName[]) {
      const env = (
        s.json.Resources[logicalId(name)]!.Properties!.Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      expect(Object.keys(env), name).toEqual(
        expect.arrayContaining(['DATA_BUCKET', 'EXPORT_BUCKET', 'SHARD_ITEMS']),
      );
      expect(env.SHARD_ITEMS).toBe('500');
      expect('STATE_MACHINE_ARN' in env, name).toBe(name === 'api' || name === 's3-request');
    }
  });

  it('start from an object created under requests/ ending in .json', () => {
    const [, notifications] = only('Custom::S3BucketNotifications');
    const config = notifications.Properties!.NotificationConfiguration as {
      LambdaFunctionConfigurations: {
        Events: string[];
        Filter: { Key: { FilterRules: { Name: string; Value: string }[] } };
        LambdaFunctionArn: unknown;
      }[];
    };
    expect(config.LambdaFunctionConfigurations).toHaveLength(1);
    const [trigger] = config.LambdaFunctionConfigurations;
    expect(trigger!.Events).toEqual(['s3:ObjectCreated:*']);
    expect(trigger!.LambdaFunctionArn).toEqual({ 'Fn::GetAtt': [logicalId('s3-request'), 'Arn'] });
    const rules = Object.fromEntries(trigger!.Filter.Key.FilterRules.map((r) => [r.Name, r.Value]));
    expect(rules).toEqual({ prefix: 'requests/', suffix: '.json' });
  });
});

type ResourceId = { Ref: string } | { 'Fn::GetAtt': string[] };
const pathOf = (resourceId: ResourceId): string => {
  if (!('Ref' in resourceId)) return '';
  const resource = s.json.Resources[resourceId.Ref]!.Properties!;
  return `${pathOf(resource.ParentId as ResourceId)}/${String(resource.PathPart)}`;
};
/** `GET /projects/{projectId}/exports` → that method's properties. */
const methods = (): Map<string, Record<string, unknown>> =>
  new Map(
    ofType('AWS::ApiGateway::Method').map(([, { Properties: p }]) => [
      `${String(p!.HttpMethod)} ${pathOf(p!.ResourceId as ResourceId)}`,
      p!,
    ]),
  );

const project = { 'method.request.path.projectId': true };
const oneExport = { ...project, 'method.request.path.exportId': true };
/** Each method's request parameters (true: required) and whether it takes a JSON body. */
const METHOD_REQUESTS: Record<string, [Record<string, boolean> | undefined, boolean]> = {
  'GET /formats': [undefined, false],
  'GET /projects': [undefined, false],
  'GET /projects/{projectId}/tasks': [project, false],
  'GET /projects/{projectId}/exports': [
    {
      ...project,
      'method.request.querystring.limit': false,
      'method.request.querystring.cursor': false,
    },
    false,
  ],
  'POST /projects/{projectId}/exports': [
    { ...project, 'method.request.header.Idempotency-Key': false },
    true,
  ],
  'GET /projects/{projectId}/exports/{exportId}': [oneExport, false],
  'DELETE /projects/{projectId}/exports/{exportId}': [oneExport, false],
  'POST /projects/{projectId}/exports/{exportId}/cancel': [oneExport, false],
};

describe('API routes', () => {
  it('serves the routes of the design, every method behind the Cognito authorizer', () => {
    const [authorizerId, authorizer] = only('AWS::ApiGateway::Authorizer');
    expect(authorizer.Properties).toMatchObject({ Type: 'COGNITO_USER_POOLS' });
    for (const [route, p] of methods()) {
      expect(p.AuthorizationType, route).toBe('COGNITO_USER_POOLS');
      expect(p.AuthorizerId, route).toEqual({ Ref: authorizerId });
      expect(p.Integration, route).toMatchObject({ Type: 'AWS_PROXY' });
    }
    expect([...methods().keys()].sort()).toEqual([
      'DELETE /projects/{projectId}/exports/{exportId}',
      'GET /formats',
      'GET /projects',
      'GET /projects/{projectId}/exports',
      'GET /projects/{projectId}/exports/{exportId}',
      'GET /projects/{projectId}/tasks',
      'POST /projects/{projectId}/exports',
      'POST /projects/{projectId}/exports/{exportId}/cancel',
    ]);
  });

  it('has the methods of the route table the function routes by, and no other', () => {
    const table = Object.entries(ROUTES).flatMap(([route, path]) =>
      Object.keys(ROUTE_METHODS[route as RouteName]).map((method) => `${method} ${path}`),
    );
    expect([...methods().keys()].sort()).toEqual(table.sort());
  });

  it('validates path parameters as required, and query, header and body as each method reads them', () => {
    const [validatorId, validator] = only('AWS::ApiGateway::RequestValidator');
    expect(validator.Properties).toMatchObject({
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    const [modelId, model] = only('AWS::ApiGateway::Model');
    expect(model.Properties).toMatchObject({
      ContentType: 'application/json',
      Schema: { type: 'object' },
    });
    for (const [route, p] of methods()) {
      expect(p.RequestValidatorId, route).toEqual({ Ref: validatorId });
      const [parameters, jsonBody] = METHOD_REQUESTS[route]!;
      expect(p.RequestParameters, route).toEqual(parameters);
      expect(p.RequestModels, route).toEqual(
        jsonBody ? { 'application/json': { Ref: modelId } } : undefined,
      );
    }
  });
});

describe('API logs and errors', () => {
  it('logs who called what and how it went, and nothing of the request body', () => {
    const [, stage] = only('AWS::ApiGateway::Stage');
    const format = (stage.Properties!.AccessLogSetting as { Format: string }).Format;
    expect(JSON.parse(format)).toMatchObject({
      requestId: '$context.requestId',
      user: '$context.authorizer.claims.sub',
      method: '$context.httpMethod',
      resource: '$context.resourcePath',
      status: '$context.status',
      error: '$context.error.responseType',
    });
    expect(format).not.toMatch(/\$input|requestOverride|header/i);
  });

  it('logs access, never request bodies, and throttles', () => {
    s.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: { DestinationArn: Match.anyValue() },
      MethodSettings: [
        Match.objectLike({
          DataTraceEnabled: false,
          LoggingLevel: 'ERROR',
          ThrottlingRateLimit: 20,
          ThrottlingBurstLimit: 40,
          HttpMethod: '*',
          ResourcePath: '/*',
        }),
      ],
    });
  });

  it('answers its own errors in the error shape of the API', () => {
    for (const [, response] of ofType('AWS::ApiGateway::GatewayResponse')) {
      const template = (response.Properties!.ResponseTemplates as Record<string, string>)[
        'application/json'
      ]!;
      expect(template).toContain('{"error":{"code":');
    }
    expect(
      ofType('AWS::ApiGateway::GatewayResponse')
        .map(([, r]) => r.Properties!.ResponseType)
        .sort(),
    ).toEqual(['DEFAULT_4XX', 'DEFAULT_5XX']);
  });
});

/**
 * The only Allow statements whose resource is `*`: these actions have no resource-level
 * permissions in AWS, so `*` is the only resource they accept.
 */
const STAR_RESOURCE_REQUIRED: Record<string, string> = {
  'logs:CreateLogDelivery': 'state machine logging: vended log deliveries are not resources',
  'logs:GetLogDelivery': 'state machine logging',
  'logs:UpdateLogDelivery': 'state machine logging',
  'logs:DeleteLogDelivery': 'state machine logging',
  'logs:ListLogDeliveries': 'state machine logging',
  'logs:PutResourcePolicy': 'state machine logging: the account-level log resource policy',
  'logs:DescribeResourcePolicies': 'state machine logging',
  'logs:DescribeLogGroups': 'state machine logging: a List/Describe of the account',
  'xray:PutTraceSegments': 'X-Ray tracing has no resource-level permissions',
  'xray:PutTelemetryRecords': 'X-Ray tracing',
  'xray:GetSamplingRules': 'X-Ray tracing',
  'xray:GetSamplingTargets': 'X-Ray tracing',
};

describe('IAM', () => {
  it('allows no wildcard action', () => {
    const allows = [
      ...identityStatements().map(({ statement }) => statement),
      ...bucketPolicyStatements(),
    ].filter((st) => st.Effect === 'Allow');
    expect(allows.length).toBeGreaterThan(20);
    for (const st of allows) {
      for (const action of list(st.Action)) expect(action).not.toMatch(/(^|:)\*$/);
    }
  });

  it('allows the resource * only to actions AWS offers on no narrower resource', () => {
    for (const { statement } of identityStatements()) {
      if (statement.Effect !== 'Allow') continue;
      if (!list(statement.Resource).includes('*')) continue;
      for (const action of list(statement.Action)) {
        expect(STAR_RESOURCE_REQUIRED, `${action} on *`).toHaveProperty([action]);
      }
    }
  });

  it('lets each function reach only the keys of its job', () => {
    const bucketName = (id: string) =>
      ({ Data: 'data', Exports: 'exports', AccessLogs: 'logs' })[
        s.stack.node.children.find(
          (c) => c.node.tryFindChild('Bucket') && logicalIdOf(c.node.findChild('Bucket')) === id,
        )!.node.id
      ];
    const s3Access = (name: FunctionName): Record<string, string[]> => {
      const role = (
        s.json.Resources[logicalId(name)]!.Properties!.Role as { 'Fn::GetAtt': string[] }
      )['Fn::GetAtt'][0]!;
      const access: Record<string, string[]> = {};
      for (const { roles, statement } of identityStatements()) {
        if (!roles.includes(role)) continue;
        for (const action of list(statement.Action).filter((a) => a.startsWith('s3:'))) {
          for (const resource of list(statement.Resource).map(render)) {
            const [, id, key] = /^\$\{(\w+)\.Arn\}(?:\/(.*))?$/.exec(resource)!;
            (access[action] ??= []).push(
              key === undefined ? bucketName(id!)! : `${bucketName(id!)}:${key}`,
            );
          }
        }
      }
      for (const keys of Object.values(access)) keys.sort();
      return access;
    };
    const record = 'exports:exports/*/*/record.json';
    const write = (...keys: string[]) => ({
      's3:PutObject': keys,
      's3:AbortMultipartUpload': keys,
    });
    expect(s3Access('plan')).toEqual({
      's3:GetObject': ['data:projects/*', record],
      ...write(record, 'exports:work/*'),
      's3:ListBucket': ['data', 'exports'],
    });
    for (const name of ['render', 'masks'] as const) {
      expect(s3Access(name), name).toEqual({
        's3:GetObject': ['data:projects/*', record, 'exports:secrets/*', 'exports:work/*'],
        ...write('exports:work/*'),
        's3:ListBucket': ['data', 'exports'],
      });
    }
    const status = 'data:requests/*/*.status.json';
    const upload = 'exports:work/*/archive-upload.json';
    expect(s3Access('package')).toEqual({
      's3:GetObject': ['data:projects/*', record, 'exports:secrets/*', 'exports:work/*'],
      ...write(status, 'exports:exports/*', upload),
      's3:DeleteObject': ['exports:exports/*/*/*.zip', 'exports:secrets/*', 'exports:work/*'],
      's3:ListBucket': ['data', 'exports'],
    });
    expect(s3Access('record-failure')).toEqual({
      's3:GetObject': [record, upload],
      's3:PutObject': [status, record],
      's3:AbortMultipartUpload': [status, 'exports:exports/*/*/*.zip', record],
      's3:DeleteObject': ['exports:secrets/*', 'exports:work/*'],
      's3:ListBucket': ['exports'],
    });
    expect(s3Access('api')).toEqual({
      's3:GetObject': ['data:projects/*', 'exports:exports/*'],
      ...write(status, 'exports:exports/*', 'exports:secrets/*'),
      's3:DeleteObject': ['exports:exports/*', 'exports:secrets/*', 'exports:work/*'],
      's3:ListBucket': ['data', 'exports'],
    });
    expect(s3Access('s3-request')).toEqual({
      's3:GetObject': ['data:projects/*', 'data:requests/*'],
      ...write('data:requests/*', record, 'exports:secrets/*'),
      's3:DeleteObject': ['data:requests/*', 'exports:secrets/*'],
      's3:ListBucket': ['data', 'exports'],
    });
  });

  it('lets only the functions that write zip entries (render, masks, package) read secrets/', () => {
    const exportBucket = logicalIdOf(s.stack.node.findChild('Exports').node.findChild('Bucket'));
    const readsSecrets = (st: Statement): boolean =>
      st.Effect === 'Allow' &&
      list(st.Action).some((a) => /^(\*|s3:\*|s3:Get\*|s3:GetObject\*?)$/.test(a)) &&
      list(st.Resource)
        .map(render)
        .some(
          (r) =>
            r === '*' ||
            r === `\${${exportBucket}.Arn}/*` ||
            r.startsWith(`\${${exportBucket}.Arn}/secrets/`),
        );
    const roleOf = (name: FunctionName): string =>
      (s.json.Resources[logicalId(name)]!.Properties!.Role as { 'Fn::GetAtt': string[] })[
        'Fn::GetAtt'
      ][0]!;
    const readers = new Set(
      identityStatements()
        .filter(({ statement }) => readsSecrets(statement))
        .flatMap(({ roles }) => roles),
    );
    expect([...readers].sort()).toEqual(
      [roleOf('render'), roleOf('masks'), roleOf('package')].sort(),
    );
    expect(bucketPolicyStatements().filter(readsSecrets)).toEqual([]);
  });
});
