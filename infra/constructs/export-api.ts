import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  CognitoUserPoolsAuthorizer,
  EndpointType,
  type IResource,
  JsonSchemaType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type MethodOptions,
  Model,
  RequestValidator,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface ExportApiProps {
  handler: IFunction;
  userPool: IUserPool;
  rateLimit: number;
  burstLimit: number;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  cloudWatchRole: boolean;
  webAclArn: string | undefined;
}

export const API_STAGE = 'v1';

/**
 * The REST API of DESIGN §12. Every method goes through the Cognito authorizer to the api
 * function (Lambda proxy); the function checks the caller's groups against the project and
 * validates bodies in full, so the gateway only rejects what can never be a request.
 */
export class ExportApi extends Construct {
  readonly api: RestApi;

  constructor(scope: Construct, id: string, props: ExportApiProps) {
    super(scope, id);
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    const authorizer = new CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [props.userPool],
      identitySource: 'method.request.header.Authorization',
      resultsCacheTtl: Duration.minutes(5),
    });

    this.api = new RestApi(this, 'Api', {
      restApiName: `${Stack.of(this).stackName}-api`,
      description: 'annotation-export: create, list, download and delete exports',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: props.cloudWatchRole,
      // The role serves every API of the account and region, so it outlives this stack.
      cloudWatchRoleRemovalPolicy: props.cloudWatchRole ? RemovalPolicy.RETAIN : undefined,
      deployOptions: {
        stageName: API_STAGE,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        // Who called what and how it went, including the Cognito user and why a request was
        // refused before reaching the function; never headers or bodies.
        accessLogFormat: AccessLogFormat.custom(
          JSON.stringify({
            requestId: AccessLogField.contextRequestId(),
            time: AccessLogField.contextRequestTime(),
            ip: AccessLogField.contextIdentitySourceIp(),
            user: AccessLogField.contextAuthorizerClaims('sub'),
            method: AccessLogField.contextHttpMethod(),
            resource: AccessLogField.contextResourcePath(),
            path: AccessLogField.contextPath(),
            status: AccessLogField.contextStatus(),
            error: AccessLogField.contextErrorResponseType(),
            latencyMs: AccessLogField.contextResponseLatency(),
            integrationLatencyMs: AccessLogField.contextIntegrationLatency(),
            bytes: AccessLogField.contextResponseLength(),
          }),
        ),
        loggingLevel: MethodLoggingLevel.ERROR,
        // Request bodies carry archive passwords, which must never reach a log (DESIGN §15).
        dataTraceEnabled: false,
        throttlingRateLimit: props.rateLimit,
        throttlingBurstLimit: props.burstLimit,
      },
      defaultMethodOptions: {
        authorizer,
        authorizationType: AuthorizationType.COGNITO,
      },
    });

    if (props.cloudWatchRole) {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'API Gateway execution logging needs this account-wide role; AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for it and keeps it current.',
      });
    }

    // Errors raised by the gateway itself (no token, throttled, bad body) answer in the same
    // shape as the function's errors, so that clients have one error format to read.
    for (const type of [ResponseType.DEFAULT_4XX, ResponseType.DEFAULT_5XX]) {
      this.api.addGatewayResponse(`${type.responseType}Response`, {
        type,
        responseHeaders: { 'Content-Type': "'application/json'" },
        templates: {
          'application/json':
            '{"error":{"code":"$context.error.responseType","message":$context.error.messageString,"details":{"requestId":"$context.requestId"}}}',
        },
      });
    }

    const validator = new RequestValidator(this, 'Validator', {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    // The function lists every problem of a request at once (DESIGN §16); a detailed schema
    // here would answer with the first problem only, so the gateway checks the shape alone.
    const exportRequest = new Model(this, 'ExportRequestModel', {
      restApi: this.api,
      contentType: 'application/json',
      schema: { type: JsonSchemaType.OBJECT },
    });

    const integration = new LambdaIntegration(props.handler, {
      proxy: true,
      allowTestInvoke: false,
    });
    const add = (resource: IResource, method: string, options: MethodOptions = {}): void => {
      resource.addMethod(method, integration, { requestValidator: validator, ...options });
    };
    const projectPath = { 'method.request.path.projectId': true };

    add(this.api.root.addResource('formats'), 'GET');
    const projects = this.api.root.addResource('projects');
    add(projects, 'GET');
    const project = projects.addResource('{projectId}');
    add(project.addResource('tasks'), 'GET', { requestParameters: projectPath });
    const exports = project.addResource('exports');
    add(exports, 'GET', {
      requestParameters: {
        ...projectPath,
        'method.request.querystring.limit': false,
        'method.request.querystring.cursor': false,
      },
    });
    add(exports, 'POST', {
      requestParameters: { ...projectPath, 'method.request.header.Idempotency-Key': false },
      requestModels: { 'application/json': exportRequest },
    });
    const oneExport = exports.addResource('{exportId}');
    const exportPath = { ...projectPath, 'method.request.path.exportId': true };
    add(oneExport, 'GET', { requestParameters: exportPath });
    add(oneExport, 'DELETE', { requestParameters: exportPath });
    add(oneExport.addResource('cancel'), 'POST', { requestParameters: exportPath });

    if (props.webAclArn) {
      new CfnWebACLAssociation(this, 'WebAcl', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn: props.webAclArn,
      });
    } else {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          'Every method needs a Cognito token and the stage is throttled; a web ACL costs a monthly fee per ACL and rule, so it is opt-in through the webAclArn context key.',
      });
    }
  }
}
