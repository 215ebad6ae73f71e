import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ExportStack } from './export-stack';
import { readSettings } from './settings';

export interface BuildAppOptions extends AppProps {
  functionsDir?: string;
}

/** The app as `cdk synth` builds it, with the AwsSolutions checks; the tests build it the same way. */
export function buildApp(options: BuildAppOptions = {}): { app: App; stack: ExportStack } {
  const { functionsDir, ...appProps } = options;
  const app = new App(appProps);
  const settings = readSettings(app.node);
  const stack = new ExportStack(app, settings.stackName, {
    settings,
    functionsDir,
    description: 'annotation-export: exports computer-vision labels and images as zipped datasets',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
