import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { routeOfPath } from '../shared/api/routes';
import type { WebFile } from '../web/build';
import { lambdaContext } from './lambda-context';
import { invokeScoped } from './lambda-runtime';

export type ApiHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;

export interface LocalApiServer {
  url: string;
  close(): Promise<void>;
}

export interface LocalApiOptions {
  port?: number;
  host?: string;
  /** The `cognito:groups` claim of the local dev identity: `admin` may touch every project. */
  groups?: string;
  /** The web page's files, served at their paths (`/` is `/index.html`) on the API's origin. */
  site?: { files: WebFile[]; headers: Record<string, string> };
}

/** Bodies beyond this are cut off here; the handler itself refuses anything over 64 KB. */
const READ_LIMIT = 1024 * 1024;

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= READ_LIMIT) chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The site file a GET or HEAD asks for; API routes always go to the API. */
function siteFile(method: string, url: URL, site: LocalApiOptions['site']): WebFile | undefined {
  if (!site || (method !== 'GET' && method !== 'HEAD') || routeOfPath(url.pathname))
    return undefined;
  const path = url.pathname === '/' ? '/index.html' : url.pathname;
  return site.files.find((f) => f.path === path);
}

/**
 * The REST proxy event API Gateway would build for this request after its Cognito authorizer let
 * the local dev identity through (DESIGN §13).
 */
export function proxyEvent(
  method: string,
  url: URL,
  headers: IncomingMessage['headers'],
  body: Buffer,
  groups: string,
): APIGatewayProxyEvent {
  const route = routeOfPath(url.pathname);
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    single[name] = values.join(',');
    multi[name] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const requestId = randomUUID();
  return {
    httpMethod: method,
    path: url.pathname,
    resource: route?.resource ?? '/{proxy+}',
    pathParameters: route?.params ?? null,
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length > 0 ? multiQuery : null,
    headers: single,
    multiValueHeaders: multi,
    body: body.length > 0 ? body.toString('utf8') : null,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      httpMethod: method,
      path: url.pathname,
      protocol: 'HTTP/1.1',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: route?.resource ?? '/{proxy+}',
      stage: 'local',
      identity: { sourceIp: '127.0.0.1' },
      authorizer: {
        claims: { sub: 'local-dev', 'cognito:username': 'local-dev', 'cognito:groups': groups },
      },
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

/**
 * The local API (DESIGN §13): HTTP on 127.0.0.1, each request turned into an API Gateway proxy event
 * for the api function's handler, which runs unchanged.
 */
export async function startApiServer(
  handler: ApiHandler,
  options: LocalApiOptions = {},
): Promise<LocalApiServer> {
  const host = options.host ?? '127.0.0.1';
  const groups = options.groups ?? 'admin';
  const server: Server = createServer((request, response) => {
    void (async () => {
      try {
        const url = new URL(request.url ?? '/', `http://${host}`);
        const file = siteFile(request.method ?? 'GET', url, options.site);
        if (file) {
          response.writeHead(200, {
            ...options.site!.headers,
            'content-type': file.contentType,
            'content-length': String(file.body.byteLength),
            'cache-control': 'no-cache',
          });
          response.end(request.method === 'HEAD' ? undefined : file.body);
          return;
        }
        const body = await readBody(request);
        const event = proxyEvent(request.method ?? 'GET', url, request.headers, body, groups);
        const context = lambdaContext('api', {
          requestId: event.requestContext.requestId,
          memoryMB: 512,
          timeoutMs: 29_000,
        });
        const result = await invokeScoped(context.awsRequestId, () => handler(event, context));
        response.writeHead(result.statusCode, result.headers as Record<string, string>);
        response.end(result.body);
      } catch (error) {
        console.error('local API:', error);
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            error: { code: 'InternalError', message: 'local server error', details: [] },
          }),
        );
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
