import {
  ArnFormat,
  type CfnResource,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnUserPoolGroup,
  FeaturePlan,
  type IUserPool,
  Mfa,
  UserPool,
} from 'aws-cdk-lib/aws-cognito';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { type Bucket, EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import {
  DefinitionBody,
  LogLevel,
  StateMachine,
  StateMachineType,
} from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bindBucket } from './constructs/bucket-access';
import { ExportApi } from './constructs/export-api';
import { ExportFunction, type ExportFunctionProps } from './constructs/export-function';
import { ExportSite } from './constructs/export-site';
import { SHARD_CONCURRENCY_PLACEHOLDER } from '../shared/pipeline/concurrency';
import { PACKAGE_MALLOC_ENVIRONMENT, PACKAGE_NODE_FLAGS } from '../shared/pipeline/package-runtime';
import { taskTimeouts } from '../shared/pipeline/timeouts';
import { PrivateBucket } from './constructs/private-bucket';
import { Monitoring } from './constructs/monitoring';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../shared/observability/index';
import type { StackSettings } from './settings';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ASL_FILE = path.join(REPO_ROOT, 'statemachines', 'export.asl.json');

/** The functions of DESIGN §11–12, by folder name under `functions/`. */
export type FunctionName =
  'plan' | 'render' | 'masks' | 'package' | 'record-failure' | 'api' | 's3-request';

/** The ASL's `${...FunctionArn}` placeholders and the function each one names. */
export const ASL_SUBSTITUTIONS: Record<string, FunctionName> = {
  PlanFunctionArn: 'plan',
  RenderFunctionArn: 'render',
  MasksFunctionArn: 'masks',
  PackageFunctionArn: 'package',
  RecordFailureFunctionArn: 'record-failure',
};

/**
 * A pipeline function's timeout is its Task's TimeoutSeconds in the ASL (one source, which the
 * local runner honours too).
 */
export function pipelineTimeout(name: FunctionName): Duration {
  const timeouts = taskTimeouts(readFileSync(ASL_FILE, 'utf8'));
  const placeholder = Object.keys(ASL_SUBSTITUTIONS).find((p) => ASL_SUBSTITUTIONS[p] === name);
  const seconds = placeholder === undefined ? undefined : timeouts[placeholder];
  if (seconds === undefined) throw new Error(`no Task of the ASL invokes ${name}`);
  return Duration.seconds(seconds);
}

export interface ExportStackProps extends StackProps {
  settings: StackSettings;
  /** Where the function folders are; defaults to the repository's `functions/`. */
  functionsDir?: string;
}

/** The stack's three buckets: server access logs, the projects' data, and the exports. */
export interface ExportBuckets {
  accessLogs: Bucket;
  data: Bucket;
  exports: Bucket;
}

interface FunctionSpec {
  description: string;
  memorySize: number;
  timeout: Duration;
  runtime?: Pick<ExportFunctionProps, 'environment' | 'nodeFlags'>;
}

/** Each function's size and time, in the order the stack makes them. */
function functionSpecs(): Record<FunctionName, FunctionSpec> {
  return {
    // Reads items.jsonl and the annotations twice (filters and split, then the shard inputs),
    // validating every line: CPU-bound JSON work, so one full vCPU (1769 MB; Lambda's CPU grows
    // with memory), and Lambda's longest run. Measured at ~0.08 ms of one core per item with four
    // boxes: a million items is a few minutes with S3's latency, well inside it.
    plan: {
      description: 'Validates an export request and cuts it into shards',
      memorySize: 1769,
      timeout: pipelineTimeout('plan'),
    },
    // One shard (≤ shardItems items) of format files, in memory only as large as one shard, and
    // its zip segment: the shard's media and files streamed (and enciphered) into S3, which
    // wants one full vCPU (1769 MB) and the process settings that keep streaming fast.
    render: {
      description: "Renders one shard's format files and writes its zip segment",
      memorySize: 1769,
      timeout: pipelineTimeout('render'),
      runtime: { environment: PACKAGE_MALLOC_ENVIRONMENT, nodeFlags: PACKAGE_NODE_FLAGS },
    },
    // Rasterising and PNG encoding are CPU-bound: 2 GB buys more than one vCPU for the zlib
    // work Node runs off the main thread. A shard of full-HD masks takes a few minutes.
    masks: {
      description: "Rasterises one shard's PNG masks and writes its zip segment",
      memorySize: 2048,
      timeout: pipelineTimeout('masks'),
      runtime: { environment: PACKAGE_MALLOC_ENVIRONMENT, nodeFlags: PACKAGE_NODE_FLAGS },
    },
    // Stitches the archive on S3 from the shards' segments and streams only its own end (merged
    // files, manifest, checksums, central directory): memory and time grow with the number of
    // entries, not with the archive's bytes. A merged COCO file of a million images is still
    // hundreds of megabytes to deflate and encipher, so two full vCPUs (3538 MB) for AES and
    // HMAC on worker threads, Lambda's longest run, and the streaming process settings
    // (shared/pipeline/package-runtime.ts).
    package: {
      description: "Stitches the archive from the shards' segments",
      memorySize: 3538,
      timeout: pipelineTimeout('package'),
      runtime: { environment: PACKAGE_MALLOC_ENVIRONMENT, nodeFlags: PACKAGE_NODE_FLAGS },
    },
    // Writes one record and deletes two prefixes.
    'record-failure': {
      description: 'Records why an export failed and cleans up',
      memorySize: 256,
      timeout: pipelineTimeout('record-failure'),
    },
    // Answers API Gateway, which gives up after 29 seconds; the heaviest request lists one page
    // of export records.
    api: { description: 'The export REST API', memorySize: 512, timeout: Duration.seconds(29) },
    // Validates one request object and starts one execution.
    's3-request': {
      description: 'Starts an export from a request object in S3',
      memorySize: 512,
      timeout: Duration.minutes(1),
    },
  };
}

/** `record-failure` → `RecordFailureFunction`: the construct id of a function. */
function functionId(name: FunctionName): string {
  return `${name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase())}Function`;
}

/** Keys of an export's record, which every pipeline step touches. */
const RECORD_KEY = 'exports/*/*/record.json';
/** Keys of the status objects that answer S3 request objects. */
const REQUEST_STATUS_KEY = 'requests/*/*.status.json';
/** Keys of the archives. */
const ARCHIVE_KEY = 'exports/*/*/*.zip';
/** Where package writes down an archive's multipart upload while it stitches it. */
const ARCHIVE_UPLOAD_KEY = 'work/*/archive-upload.json';
/** The shard lists plan writes and the Distributed Map's ItemReader reads. */
const SHARD_LIST_KEY = 'work/*/shards.json';

/**
 * Wires buckets, functions, state machine, API and user pool; the parts live in constructs/.
 * Each step is a method, called in the order that fixes the template's resource order.
 */
export class ExportStack extends Stack {
  readonly functions: Record<FunctionName, ExportFunction>;
  readonly stateMachine: StateMachine;
  private readonly settings: StackSettings;
  private readonly removalPolicy: RemovalPolicy;

  constructor(scope: Construct, id: string, props: ExportStackProps) {
    super(scope, id, props);
    this.settings = props.settings;
    this.removalPolicy = props.settings.destroyOnRemoval
      ? RemovalPolicy.DESTROY
      : RemovalPolicy.RETAIN;

    const buckets = this.createBuckets();
    this.functions = this.createFunctions(props.functionsDir ?? path.join(REPO_ROOT, 'functions'));
    this.configureObservability();
    this.allowAnnouncingEnds();
    this.bindPipelineBuckets(buckets);
    this.bindEntryBuckets(buckets);
    this.stateMachine = this.createStateMachine();
    this.allowShardMap(buckets.exports);
    this.allowStartingExports();
    this.triggerOnRequestObjects(buckets.data);

    const userPool = this.createUserPool();
    const api = this.createApi(userPool);
    this.createSite(api, userPool, buckets.accessLogs);
    const monitoring = this.createMonitoring(api);
    this.addOutputs(buckets, api, userPool, monitoring);
  }

  private createBuckets(): ExportBuckets {
    const { settings, removalPolicy } = this;
    const accessLogs = new PrivateBucket(this, 'AccessLogs', {
      removalPolicy,
      lifecycleRules: [
        { id: 'expire-access-logs', expiration: Duration.days(settings.accessLogRetentionDays) },
      ],
    }).bucket;
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the server access log bucket of the other buckets; logging its own access would log the log writes, without end.',
    });
    const data = new PrivateBucket(this, 'Data', {
      removalPolicy,
      accessLogs: { bucket: accessLogs, prefix: 'data/' },
    }).bucket;
    const exports = new PrivateBucket(this, 'Exports', {
      removalPolicy,
      accessLogs: { bucket: accessLogs, prefix: 'exports/' },
      lifecycleRules: [
        // Staged parts and segments of an export; package deletes them, this catches executions
        // that died, and the uploads of segments whose shard died half-way.
        {
          id: 'expire-work',
          prefix: 'work/',
          expiration: Duration.days(2),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        // Passwords; package or record-failure deletes them, this is the backstop.
        { id: 'expire-secrets', prefix: 'secrets/', expiration: Duration.days(1) },
        {
          id: 'expire-exports',
          prefix: 'exports/',
          expiration: Duration.days(settings.exportRetentionDays),
          // An archive's upload that neither package nor record-failure could abort.
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    }).bucket;
    return { accessLogs, data, exports };
  }

  private createFunctions(functionsDir: string): Record<FunctionName, ExportFunction> {
    const specs = Object.entries(functionSpecs()) as [FunctionName, FunctionSpec][];
    const made = specs.map(([name, spec]): [FunctionName, ExportFunction] => [
      name,
      new ExportFunction(this, functionId(name), {
        name,
        description: spec.description,
        memorySize: spec.memorySize,
        timeout: spec.timeout,
        functionsDir,
        logRetention: this.settings.logRetentionDays,
        removalPolicy: this.removalPolicy,
        ...spec.runtime,
      }),
    ]);
    return Object.fromEntries(made) as Record<FunctionName, ExportFunction>;
  }

  /** Powertools (shared/observability): JSON logs with DEBUG for a sampled share, EMF metrics. */
  private configureObservability(): void {
    const { settings } = this;
    for (const fn of Object.values(this.functions)) {
      fn.handler.addEnvironment('SHARD_ITEMS', String(settings.shardItems));
      fn.handler.addEnvironment('POWERTOOLS_SERVICE_NAME', SERVICE_NAME);
      fn.handler.addEnvironment('POWERTOOLS_METRICS_NAMESPACE', METRICS_NAMESPACE);
      fn.handler.addEnvironment('POWERTOOLS_LOG_LEVEL', 'INFO');
      fn.handler.addEnvironment(
        'POWERTOOLS_LOGGER_SAMPLE_RATE',
        String(settings.debugLogSampleRate),
      );
    }
  }

  /** Ended exports are announced on the account's default bus (README: Operations). */
  private allowAnnouncingEnds(): void {
    const fns = this.functions;
    const defaultBus = this.formatArn({
      service: 'events',
      resource: 'event-bus',
      resourceName: 'default',
    });
    for (const announcer of [fns.package, fns['record-failure'], fns.api]) {
      announcer.handler.addEnvironment('EVENT_BUS_NAME', 'default');
      announcer.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['events:PutEvents'], resources: [defaultBus] }),
      );
    }
  }

  /**
   * Least privilege per pipeline step (DESIGN §15: only the stages that write zip entries,
   * render, masks and package, may read secrets/).
   */
  private bindPipelineBuckets({ data, exports }: ExportBuckets): void {
    const fns = this.functions;
    bindBucket(fns.plan, data, 'DATA_BUCKET', { read: ['projects/'] });
    bindBucket(fns.plan, exports, 'EXPORT_BUCKET', {
      read: [RECORD_KEY],
      write: ['work/', RECORD_KEY],
    });
    for (const shardFunction of [fns.render, fns.masks]) {
      bindBucket(shardFunction, data, 'DATA_BUCKET', { read: ['projects/'] });
      // A shard enciphers its own segment: it reads the export's record and password.
      bindBucket(shardFunction, exports, 'EXPORT_BUCKET', {
        read: ['work/', 'secrets/', RECORD_KEY],
        write: ['work/'],
      });
    }
    // Package, record-failure and api (cancel) end exports: a request object's status follows.
    bindBucket(fns.package, data, 'DATA_BUCKET', {
      read: ['projects/'],
      write: [REQUEST_STATUS_KEY],
    });
    // Reading work/ also lets UploadPartCopy copy the segments; the archive's upload is written
    // down under work/ for record-failure.
    bindBucket(fns.package, exports, 'EXPORT_BUCKET', {
      read: ['work/', 'secrets/', RECORD_KEY],
      write: ['exports/', ARCHIVE_UPLOAD_KEY],
      // An archive finished after its export was cancelled is removed, not offered.
      delete: ['work/', 'secrets/', ARCHIVE_KEY],
    });
    bindBucket(fns['record-failure'], data, 'DATA_BUCKET', { write: [REQUEST_STATUS_KEY] });
    // A package that timed out leaves its archive's upload open: record-failure aborts it.
    bindBucket(fns['record-failure'], exports, 'EXPORT_BUCKET', {
      read: [RECORD_KEY, ARCHIVE_UPLOAD_KEY],
      write: [RECORD_KEY],
      delete: ['work/', 'secrets/'],
      abortUploads: [ARCHIVE_KEY],
    });
  }

  /** Least privilege for the two ways in, the API and the S3 request objects. */
  private bindEntryBuckets({ data, exports }: ExportBuckets): void {
    const fns = this.functions;
    bindBucket(fns.api, data, 'DATA_BUCKET', { read: ['projects/'], write: [REQUEST_STATUS_KEY] });
    bindBucket(fns.api, exports, 'EXPORT_BUCKET', {
      read: ['exports/'],
      write: ['exports/', 'secrets/'],
      // A start that fails takes its password back; an export whose execution ended without
      // closing it is closed here, its password and staged work removed.
      delete: ['exports/', 'secrets/', 'work/'],
    });
    bindBucket(fns['s3-request'], data, 'DATA_BUCKET', {
      read: ['requests/', 'projects/'],
      write: ['requests/'],
      // A request object that is not JSON is deleted: a password in it cannot be removed.
      delete: ['requests/'],
    });
    bindBucket(fns['s3-request'], exports, 'EXPORT_BUCKET', {
      write: ['secrets/', RECORD_KEY],
      delete: ['secrets/'],
    });
  }

  /** Named, so that the execution ARNs the api function may describe can be written down. */
  private get stateMachineName(): string {
    return `${this.stackName}-export`;
  }

  /**
   * The ASL file's state machine, its logs, and what its role may do. The definition is a
   * string CDK cannot see into, so every service the ASL calls is granted here.
   */
  private createStateMachine(): StateMachine {
    const fns = this.functions;
    const definitionSubstitutions: Record<string, string> = {};
    for (const [placeholder, name] of Object.entries(ASL_SUBSTITUTIONS)) {
      definitionSubstitutions[placeholder] = fns[name].handler.functionArn;
    }
    definitionSubstitutions[SHARD_CONCURRENCY_PLACEHOLDER] = String(this.settings.shardConcurrency);
    // Read and inlined, not an asset: the template then holds the definition it runs.
    const stateMachine = new StateMachine(this, 'ExportStateMachine', {
      stateMachineName: this.stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(readFileSync(ASL_FILE, 'utf8')),
      definitionSubstitutions,
      logs: {
        destination: this.stateMachineLogs(),
        level: LogLevel.ALL,
        // Inputs and outputs would show export names and store keys; the records hold outcomes.
        includeExecutionData: false,
      },
      tracingEnabled: true,
      // The execution's timeout is the ASL's own TimeoutSeconds: a timed-out execution skips
      // RecordFailure, and the API closes its export from DescribeExecution.
    });
    // The invocations go to the unqualified ARNs the ASL names (no `:*` versions or aliases).
    stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: Object.values(ASL_SUBSTITUTIONS).map((name) => fns[name].handler.functionArn),
      }),
    );
    return stateMachine;
  }

  /**
   * The Distributed Map runs each shard as a child execution of this state machine (Step
   * Functions' "IAM policies for using Distributed Map states"): its role starts them, describes
   * and stops them, and reads the shard list its ItemReader names. The ARNs are written from the
   * state machine's name: a reference to it would make the role's policy and the state machine
   * depend on each other.
   */
  private allowShardMap(exportBucket: Bucket): void {
    const arn = (resource: string, resourceName: string) =>
      this.formatArn({
        service: 'states',
        resource,
        resourceName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [arn('stateMachine', this.stateMachineName)],
      }),
    );
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [arn('execution', `${this.stateMachineName}:*`)],
      }),
    );
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [exportBucket.arnForObjects(SHARD_LIST_KEY)],
      }),
    );
    const bucketId = this.resolve(
      (exportBucket.node.defaultChild as CfnResource).logicalId,
    ) as string;
    Validations.of(this.stateMachine).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${this.stateMachineName}:*]`,
        reason:
          "The Distributed Map's child executions are named by Step Functions at run time; the pattern is limited to executions of this state machine.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${SHARD_LIST_KEY}]`,
        reason:
          "The ItemReader reads one export's shard list, work/{exportId}/shards.json; export ids exist only at run time.",
      },
    );
  }

  private stateMachineLogs(): LogGroup {
    return new LogGroup(this, 'StateMachineLogs', {
      // Vended-log names keep the log group's resource policy small (Step Functions docs).
      logGroupName: `/aws/vendedlogs/states/${this.stackName}-export`,
      retention: this.settings.logRetentionDays,
      removalPolicy: this.removalPolicy,
    });
  }

  /** The api and s3-request functions start executions; the api also reconciles and cancels. */
  private allowStartingExports(): void {
    const fns = this.functions;
    for (const starter of [fns.api, fns['s3-request']]) {
      starter.handler.addEnvironment('STATE_MACHINE_ARN', this.stateMachine.stateMachineArn);
      // Records say when the `exports/` lifecycle rule removes them (`expires_at`).
      starter.handler.addEnvironment(
        'EXPORT_RETENTION_DAYS',
        String(this.settings.exportRetentionDays),
      );
      this.stateMachine.grantStartExecution(starter.role);
    }
    fns.api.role.addToPrincipalPolicy(
      new PolicyStatement({
        // Describe to reconcile an export with its execution, Stop to cancel it.
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [
          this.formatArn({
            service: 'states',
            resource: 'execution',
            resourceName: `${this.stateMachineName}:*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs log delivery (CreateLogDelivery and friends) accept no resource but *: https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html',
    });
    Validations.of(fns.api.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${this.stateMachineName}:*]`,
      reason:
        'DescribeExecution applies to executions, whose names are export ids made at run time; the pattern is limited to executions of the export state machine.',
    });
  }

  private triggerOnRequestObjects(dataBucket: Bucket): void {
    // `.status.json` objects also end in `.json`; the handler ignores them (it writes them).
    dataBucket.addEventNotification(
      EventType.OBJECT_CREATED,
      new LambdaDestination(this.functions['s3-request'].handler),
      { prefix: 'requests/', suffix: '.json' },
    );
    // S3 can only notify a function that exists, so CDK sets the notification through a custom
    // resource whose function CDK makes, with the AWS managed basic-execution policy.
    const notificationsHandler = this.node.children.find((c) =>
      c.node.id.startsWith('BucketNotificationsHandler'),
    );
    if (notificationsHandler) {
      Validations.of(notificationsHandler).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's S3 notification handler (one deployment-time call of PutBucketNotification, scoped to the data bucket) comes with this policy and takes no role without it.",
      });
    }
  }

  private createApi(userPool: IUserPool): ExportApi {
    const { settings } = this;
    return new ExportApi(this, 'ExportApi', {
      handler: this.functions.api.handler,
      userPool,
      rateLimit: settings.apiRateLimit,
      burstLimit: settings.apiBurstLimit,
      logRetention: settings.logRetentionDays,
      removalPolicy: this.removalPolicy,
      cloudWatchRole: settings.apiGatewayCloudWatchRole,
      webAclArn: settings.webAclArn,
    });
  }

  /** The exports tab. */
  private createSite(api: ExportApi, userPool: IUserPool, accessLogs: Bucket): ExportSite {
    return new ExportSite(this, 'Site', {
      api: api.api,
      userPool,
      accessLogs,
      logRetention: this.settings.logRetentionDays,
      removalPolicy: this.removalPolicy,
    });
  }

  private createMonitoring(api: ExportApi): Monitoring {
    return new Monitoring(this, 'Monitoring', {
      stateMachine: this.stateMachine,
      functions: Object.fromEntries(
        Object.entries(this.functions).map(([name, fn]) => [
          name,
          { fn: fn.handler, timeout: fn.timeout },
        ]),
      ),
      packageFunction: 'package',
      api: api.api,
      alarmEmail: this.settings.alarmEmail,
      queuedAlarmSeconds: this.settings.queuedAlarmSeconds,
      removalPolicy: this.removalPolicy,
    });
  }

  private addOutputs(
    buckets: ExportBuckets,
    api: ExportApi,
    userPool: IUserPool,
    monitoring: Monitoring,
  ): void {
    new CfnOutput(this, 'AlarmTopicArn', { value: monitoring.topic.topicArn });
    new CfnOutput(this, 'ApiUrl', { value: api.api.url });
    new CfnOutput(this, 'UserPoolId', { value: userPool.userPoolId });
    new CfnOutput(this, 'DataBucketName', { value: buckets.data.bucketName });
    new CfnOutput(this, 'ExportBucketName', { value: buckets.exports.bucketName });
    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn });
  }

  /** The pool that signs API callers in: the one named by `userPoolId`, or a new one. */
  private createUserPool(): IUserPool {
    const { settings, removalPolicy } = this;
    if (settings.userPoolId) return UserPool.fromUserPoolId(this, 'UserPool', settings.userPoolId);
    const pool = new UserPool(this, 'UserPool', {
      // Accounts are made by an administrator, who also grants `project:{id}` or `admin` groups.
      selfSignUpEnabled: false,
      signInAliases: { email: true, username: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.ESSENTIALS,
      removalPolicy,
    });
    Validations.of(pool).acknowledge(
      {
        id: 'AwsSolutions-COG2',
        reason:
          'MFA (TOTP) is offered to every user but not forced: backend and pipeline callers sign in without a person at hand.',
      },
      {
        id: 'AwsSolutions-COG8',
        reason:
          'The Plus feature plan is billed per monthly active user; the pool has no self sign-up, so its threat-protection features are not worth the cost by default. Import a Plus pool with the userPoolId context key where needed.',
      },
    );
    new CfnUserPoolGroup(this, 'AdminGroup', {
      userPoolId: pool.userPoolId,
      groupName: 'admin',
      description: 'May read and export every project',
    });
    const client = pool.addClient('ApiClient', {
      authFlows: { userSrp: true, adminUserPassword: true },
      generateSecret: false,
      preventUserExistenceErrors: true,
    });
    new CfnOutput(this, 'UserPoolClientId', { value: client.userPoolClientId });
    return pool;
  }
}
