import { type App, type CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { Template } from 'aws-cdk-lib/assertions';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../../infra/build-app';
import type { ExportStack, FunctionName } from '../../infra/export-stack';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const FUNCTION_NAMES: FunctionName[] = [
  'plan',
  'render',
  'masks',
  'package',
  'record-failure',
  'api',
  's3-request',
];

/**
 * With bundling skipped the template does not depend on what the handlers contain, only on
 * their existence, so the stack is built over placeholder handlers: the infrastructure tests
 * then neither wait for nor break with the functions' code. `npx cdk synth` bundles the real ones.
 */
function placeholderFunctions(): string {
  const cache = path.join(REPO_ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(path.join(cache, 'infra-test-functions-'));
  for (const name of FUNCTION_NAMES) {
    mkdirSync(path.join(dir, name));
    writeFileSync(path.join(dir, name, 'handler.ts'), 'export const handler = async () => ({});\n');
  }
  return dir;
}

export interface Synthesised {
  app: App;
  stack: ExportStack;
  template: Template;
  /** The raw template, for walking every resource. */
  json: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  /** The policy validation report of the synthesis (cdk-nag and CloudFormation validation). */
  validationReport: ValidationReport;
}

export interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

export interface SynthesiseOptions {
  context?: Record<string, unknown>;
  /**
   * CDK's built-in CloudFormation schema validation, which `cdk synth` runs: it takes most of
   * the synthesis time, so only the test of the validation report turns it on.
   */
  cloudFormationValidation?: boolean;
}

/** Synthesises the app exactly as `cdk synth` would (cdk.json context included), minus bundling. */
export function synthesise(options: SynthesiseOptions = {}): Synthesised {
  const { context = {}, cloudFormationValidation = false } = options;
  const cdkJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const cache = path.join(REPO_ROOT, 'node_modules', '.cache');
  const functionsDir = placeholderFunctions();
  const outdir = mkdtempSync(path.join(cache, 'infra-test-out-'));
  try {
    const { app, stack } = buildApp({
      functionsDir,
      outdir,
      context: { ...cdkJson.context, ...context, 'aws:cdk:bundling-stacks': [] },
      builtinCloudFormationValidation: cloudFormationValidation,
    });
    const assembly = app.synth();
    const artifact = assembly.getStackArtifact(stack.artifactId);
    return {
      app,
      stack,
      template: Template.fromJSON(artifact.template as Record<string, unknown>),
      json: artifact.template as Synthesised['json'],
      validationReport: JSON.parse(
        readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'),
      ) as ValidationReport,
    };
  } finally {
    rmSync(functionsDir, { recursive: true, force: true });
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** A template expression as text: `{"Fn::GetAtt":["Bucket","Arn"]}` becomes `${Bucket.Arn}`. */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('Ref' in o) return `\${${String(o.Ref)}}`;
    if ('Fn::GetAtt' in o) return `\${${(o['Fn::GetAtt'] as string[]).join('.')}}`;
    if ('Fn::Join' in o) {
      const [separator, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(separator);
    }
  }
  return JSON.stringify(value);
}

/** The logical id of an L2 construct's CloudFormation resource. */
export function logicalIdOf(construct: IConstruct): string {
  const stack = Stack.of(construct);
  return stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement)) as string;
}
