import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  CognitoUserPoolsAuthorizer,
  EndpointType,
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
import {
  pathParameterNames,
  ROUTE_METHODS,
  ROUTES,
  type MethodInputs,
  type RouteName,
} from '../../shared/api/routes';

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
 * Who called what and how it went, including the Cognito user and why a request was refused
 * before reaching the function; never headers or bodies.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
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
);

/**
 * The REST API of DESIGN §12. Every method goes through the Cognito authorizer to the api
 * function (Lambda proxy); the function checks the caller's groups against the project and
 * validates bodies in full, so the gateway only rejects what can never be a request.
 */
export class ExportApi extends Construct {
  readonly api: RestApi;

  constructor(scope: Construct, id: string, props: ExportApiProps) {
    super(scope, id);
    this.api = this.restApi(props);
    this.addErrorResponses();
    this.addRoutes(props.handler);
    this.protect(props.webAclArn);
  }

  private restApi(props: ExportApiProps): RestApi {
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const authorizer = new CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [props.userPool],
      identitySource: 'method.request.header.Authorization',
      resultsCacheTtl: Duration.minutes(5),
    });
    const api = new RestApi(this, 'Api', {
      restApiName: `${Stack.of(this).stackName}-api`,
      description: 'annotation-export: create, list, download and delete exports',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: props.cloudWatchRole,
      // The role serves every API of the account and region, so it outlives this stack.
      cloudWatchRoleRemovalPolicy: props.cloudWatchRole ? RemovalPolicy.RETAIN : undefined,
      deployOptions: {
        stageName: API_STAGE,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: ACCESS_LOG_FORMAT,
        loggingLevel: MethodLoggingLevel.ERROR,
        // Request bodies carry archive passwords, which must never reach a log (DESIGN §15).
        dataTraceEnabled: false,
        throttlingRateLimit: props.rateLimit,
        throttlingBurstLimit: props.burstLimit,
      },
      defaultMethodOptions: { authorizer, authorizationType: AuthorizationType.COGNITO },
    });
    if (props.cloudWatchRole) {
      Validations.of(api).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'API Gateway execution logging needs this account-wide role; AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for it and keeps it current.',
      });
    }
    return api;
  }

  /**
   * Errors raised by the gateway itself (no token, throttled, bad body) answer in the same shape
   * as the function's errors, so that clients have one error format to read.
   */
  private addErrorResponses(): void {
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
  }

  /**
   * The route table of shared/api/routes.ts, which the function routes by: a resource for each
   * route, and a method for each of its methods, all to the api function.
   */
  private addRoutes(handler: IFunction): void {
    const validator = new RequestValidator(this, 'Validator', {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    // The function lists every problem of a request at once (DESIGN §16); a detailed schema
    // here would answer with the first problem only, so the gateway checks the shape alone.
    const jsonObject = new Model(this, 'ExportRequestModel', {
      restApi: this.api,
      contentType: 'application/json',
      schema: { type: JsonSchemaType.OBJECT },
    });
    const integration = new LambdaIntegration(handler, { proxy: true, allowTestInvoke: false });
    for (const [route, path] of Object.entries(ROUTES) as Array<[RouteName, string]>) {
      const resource = this.api.root.resourceForPath(path);
      for (const [method, inputs] of Object.entries(ROUTE_METHODS[route])) {
        resource.addMethod(method, integration, {
          requestValidator: validator,
          ...methodRequest(path, inputs, jsonObject),
        });
      }
    }
  }

  private protect(webAclArn: string | undefined): void {
    if (webAclArn) {
      new CfnWebACLAssociation(this, 'WebAcl', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn,
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

/**
 * What the gateway is told a method takes: its path parameters (required), the query-string
 * parameters and headers it reads (optional), and for a JSON body the model it must match.
 */
function methodRequest(path: string, inputs: MethodInputs, jsonObject: Model): MethodOptions {
  const parameters: Record<string, boolean> = {
    ...Object.fromEntries(
      pathParameterNames(path).map((name) => [`method.request.path.${name}`, true]),
    ),
    ...Object.fromEntries(
      (inputs.query ?? []).map((name) => [`method.request.querystring.${name}`, false]),
    ),
    ...Object.fromEntries(
      (inputs.headers ?? []).map((name) => [`method.request.header.${name}`, false]),
    ),
  };
  return {
    ...(Object.keys(parameters).length > 0 ? { requestParameters: parameters } : {}),
    ...(inputs.jsonBody ? { requestModels: { 'application/json': jsonObject } } : {}),
  };
}
