import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { callerFromClaims } from '../../shared/api/auth';
import { parseJsonBody } from '../../shared/api/body';
import { errorResponse } from '../../shared/api/errors';
import { routeApiRequest, type ApiDeps } from '../../shared/api/router';
import { announceDeps, startDeps } from '../../shared/aws/deps';
import { announceEnd } from '../../shared/exports/announce';
import { errorFields, observeApi } from '../../shared/observability/middleware';
import { logger } from '../../shared/observability/index';

type ParsedEvent = Omit<APIGatewayProxyEvent, 'body'> & { body: unknown };

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}) => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  body: body === undefined ? '' : JSON.stringify(body),
});

/** The REST API of DESIGN §12 as one Lambda function behind API Gateway's proxy integration. */
export function createApiHandler(deps: () => ApiDeps) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(observeApi())
    .use(httpHeaderNormalizer())
    .use({
      // Size limit (413) and JSON parsing (400) before anything else looks at the body.
      before: (request) => {
        const event = request.event as unknown as ParsedEvent;
        event.body = parseJsonBody(request.event.body, request.event.isBase64Encoded);
      },
      onError: (request) => {
        const requestId = request.event?.requestContext?.requestId ?? request.context.awsRequestId;
        const { statusCode, body } = errorResponse(request.error, requestId);
        if (statusCode >= 500) {
          // The log keeps what the response must not show; never the body (it may hold a password).
          const error = request.error as Error | undefined;
          logger.error('request failed', {
            route: `${request.event?.httpMethod} ${request.event?.resource ?? request.event?.path}`,
            error: { ...errorFields(error), stack: error?.stack },
          });
        }
        request.response = json(statusCode, body);
      },
    })
    .handler(async (event) => {
      const parsed = event as unknown as ParsedEvent;
      const result = await routeApiRequest(deps(), {
        method: event.httpMethod,
        path: event.path,
        resource: event.resource,
        pathParameters: event.pathParameters,
        query: event.queryStringParameters ?? {},
        headers: event.headers ?? {},
        body: parsed.body,
        caller: callerFromClaims(event.requestContext?.authorizer?.claims),
      });
      return json(result.statusCode, result.body, result.headers);
    });
}

export const handler = createApiHandler(() => ({
  ...startDeps(),
  announce: (record) => announceEnd(announceDeps(), record),
}));
