/** The services this code calls, as their endpoint variables name them (`AWS_ENDPOINT_URL_S3`). */
export type AwsService = 'S3' | 'SFN' | 'EVENTBRIDGE';

/**
 * Where a service's client sends its requests: the service's own endpoint variable, else
 * AWS_ENDPOINT_URL (LocalStack, the local stack); undefined on AWS, where the SDK knows it.
 */
function endpointOf(service: AwsService, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
}

/**
 * What every client is built with, read from `env` rather than only from `process.env` (the CLI
 * points a client at a store of its choosing): its endpoint and region when set. Credentials are
 * left to the SDK's provider chain, which reads the same variables and also knows roles.
 */
export function clientConfig(
  service: AwsService,
  env: NodeJS.ProcessEnv = process.env,
): { endpoint?: string; region?: string } {
  const endpoint = endpointOf(service, env);
  return {
    ...(endpoint ? { endpoint } : {}),
    ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
  };
}
