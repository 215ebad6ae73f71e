import { buildApp } from './build-app';

// The CDK CLI synthesises the app when this process exits.
buildApp();
