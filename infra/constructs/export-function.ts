import { type Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AES_THREAD_FILE } from '../../shared/archive/aes-worker';

/**
 * CommonJS dependencies (archiver, zip-stream, pngjs and theirs) call `require` for Node built-ins;
 * an ESM bundle has no `require`, so the bundle makes one. The alias avoids clashing with a bundled
 * module's own `createRequire` import.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as topLevelCreateRequire } from 'module'; const require = topLevelCreateRequire(import.meta.url);";

/**
 * esbuild's settings for every bundle: ESM for Node.js 22, names kept (Step Functions matches
 * errors by their class name), minified, with source maps. NodejsFunction bundles each handler
 * with them, the AES thread is bundled beside it with them, and a test runs both.
 */
export const BUNDLE_SETTINGS = {
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  keepNames: true,
  minify: true,
  sourceMap: true,
} as const;

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The AES thread's module (shared/archive/aes-worker-thread.ts), which aes-worker.ts starts from
 * a file beside its own bundle: esbuild does not follow `new Worker(new URL(...))`, so it is
 * bundled on its own, into every function's asset (a few kilobytes; whichever function zips finds it).
 */
export const AES_THREAD_ENTRY = path.join(
  here,
  '..',
  '..',
  'shared',
  'archive',
  'aes-worker-thread.ts',
);

/** The shell command that bundles the AES thread into `outputDir` as the handler is bundled. */
export function bundleAesThreadCommand(outputDir: string): string {
  return bundleCommand(AES_THREAD_ENTRY, path.join(outputDir, AES_THREAD_FILE));
}

/** The shell command that bundles `entry` into `outfile` with BUNDLE_SETTINGS. */
export function bundleCommand(entry: string, outfile: string): string {
  const esbuild = createRequire(import.meta.url).resolve('esbuild/bin/esbuild');
  return [
    `"${esbuild}"`,
    `"${entry}"`,
    '--bundle',
    '--platform=node',
    `--format=${BUNDLE_SETTINGS.format}`,
    `--target=${BUNDLE_SETTINGS.target}`,
    `--main-fields=${BUNDLE_SETTINGS.mainFields.join(',')}`,
    `--banner:js="${BUNDLE_SETTINGS.banner}"`,
    '--keep-names',
    '--minify',
    '--sourcemap',
    '--log-level=warning',
    `--outfile="${outfile}"`,
  ].join(' ');
}

export interface ExportFunctionProps {
  /** Folder under `functions/` whose `handler.ts` exports `handler`. */
  name: string;
  description: string;
  memorySize: number;
  timeout: Duration;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  /** Where the function folders are; the repository's `functions/` unless a test says otherwise. */
  functionsDir: string;
  /** Environment variables of the process beyond the defaults (glibc reads MALLOC_* at start). */
  environment?: Readonly<Record<string, string>>;
  /** V8 flags for the Node.js command line, which NODE_OPTIONS does not accept. */
  nodeFlags?: readonly string[];
}

/** The wrapper script that puts `nodeFlags` on the runtime's command line. */
export const NODE_FLAGS_WRAPPER = path.join(here, '..', 'lambda', 'node-flags.sh');
const NODE_FLAGS_WRAPPER_IN_TASK = '/var/task/node-flags.sh';

/** The process's environment: source maps, the extra variables, and the flags' wrapper if any. */
function processEnvironment(props: ExportFunctionProps): Record<string, string> {
  const nodeFlags = props.nodeFlags ?? [];
  return {
    NODE_OPTIONS: '--enable-source-maps',
    ...props.environment,
    ...(nodeFlags.length > 0
      ? { AWS_LAMBDA_EXEC_WRAPPER: NODE_FLAGS_WRAPPER_IN_TASK, NODE_FLAGS: nodeFlags.join(' ') }
      : {}),
  };
}

/** BUNDLE_SETTINGS for NodejsFunction, with the AES thread and the flags' wrapper beside the handler. */
function bundlingOptions(nodeFlags: readonly string[]): BundlingOptions {
  return {
    ...BUNDLE_SETTINGS,
    format: OutputFormat.ESM,
    mainFields: [...BUNDLE_SETTINGS.mainFields],
    // The code is tested against the SDK versions in package-lock.json, not whatever copy the
    // Lambda runtime happens to carry, so the SDK is bundled too.
    externalModules: [],
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) => [
        bundleAesThreadCommand(outputDir),
        // Lambda runs the wrapper, so it must be executable in the bundle.
        ...(nodeFlags.length > 0
          ? [
              `cp "${NODE_FLAGS_WRAPPER}" "${outputDir}/node-flags.sh"`,
              `chmod 755 "${outputDir}/node-flags.sh"`,
            ]
          : []),
      ],
    },
  };
}

/**
 * The one way the project makes a Lambda function: Node.js 22 on arm64 (cheaper per GB-second
 * than x86 for the same work), bundled by the local esbuild as ESM with names kept (Step Functions
 * matches errors by their class name) and source maps, logging to its own log group with a
 * retention, through its own role that starts with nothing but that log group.
 */
export class ExportFunction extends Construct {
  readonly handler: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: ExportFunctionProps) {
    super(scope, id);
    this.timeout = props.timeout;
    // A role of our own: the default one carries the AWS managed AWSLambdaBasicExecutionRole,
    // which may write to every log group in the account.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `annotation-export ${props.name} function`,
    });
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.logGroup.grantWrite(this.role);

    this.handler = new NodejsFunction(this, 'Handler', {
      entry: path.join(props.functionsDir, props.name, 'handler.ts'),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      // X-Ray: Powertools' Tracer adds the S3, Step Functions and EventBridge calls as subsegments.
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment: processEnvironment(props),
      bundling: bundlingOptions(props.nodeFlags ?? []),
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing grants xray:PutTraceSegments and xray:PutTelemetryRecords, which accept no resource but *: https://docs.aws.amazon.com/xray/latest/devguide/security_iam_id-based-policy-examples.html',
    });
    Validations.of(this.handler).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime the code and its dependencies are verified on (DESIGN §19); moving to a newer runtime is a deliberate, tested change.',
    });
  }
}
