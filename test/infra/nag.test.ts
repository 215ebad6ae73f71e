import { App, Stack, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, synthesise, type ValidationReport } from './synth';

/** Every finding the policy validation plugins left unacknowledged, as `rule at path`. */
function findings(report: ValidationReport): string[] {
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((v) =>
      v.violatingConstructs.map((c) => `${plugin.pluginName}: ${v.ruleName} at ${c.constructPath}`),
    ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the stack, and CloudFormation validation finds nothing', () => {
    // Synthesis itself throws on an unacknowledged error-level finding; warnings only reach
    // the report, which must be empty too.
    const { app, validationReport } = synthesise({ cloudFormationValidation: true });
    expect(findings(validationReport)).toEqual([]);

    const acknowledgements = app.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgements) {
      expect(reason.length, `reason for ${id}`).toBeGreaterThan(40);
    }
  });

  it('reports what it finds, so that a clean report means something', () => {
    const outdir = mkdtempSync(path.join(REPO_ROOT, 'node_modules', '.cache', 'infra-test-out-'));
    const app = new App({ outdir, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Careless');
    new Bucket(stack, 'Unlogged', { enforceSSL: true });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    try {
      expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
