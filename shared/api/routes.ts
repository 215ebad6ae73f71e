import { NotFoundError } from '../errors';
import { MethodNotAllowedError } from './errors';

/** The REST resources of DESIGN §12, as API Gateway names them in `event.resource`. */
export const ROUTES = {
  formats: '/formats',
  projects: '/projects',
  tasks: '/projects/{projectId}/tasks',
  exports: '/projects/{projectId}/exports',
  oneExport: '/projects/{projectId}/exports/{exportId}',
  cancel: '/projects/{projectId}/exports/{exportId}/cancel',
} as const;
export type RouteName = keyof typeof ROUTES;

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/**
 * What a method reads besides its path parameters, which API Gateway is told of: optional
 * query-string parameters and headers, and a JSON body.
 */
export interface MethodInputs {
  query?: readonly string[];
  headers?: readonly string[];
  jsonBody?: true;
}

/**
 * The methods of each route, each with what it reads besides its path: the router allows these
 * methods, and the gateway's methods are made from them.
 */
export const ROUTE_METHODS: Record<RouteName, Partial<Record<HttpMethod, MethodInputs>>> = {
  formats: { GET: {} },
  projects: { GET: {} },
  tasks: { GET: {} },
  exports: {
    GET: { query: ['limit', 'cursor'] },
    POST: { headers: ['Idempotency-Key'], jsonBody: true },
  },
  oneExport: { GET: {}, DELETE: {} },
  cancel: { POST: {} },
};

/** The names of a resource's path parameters: `/projects/{projectId}/tasks` → `projectId`. */
export function pathParameterNames(resource: string): string[] {
  return resource
    .split('/')
    .filter((part) => part.startsWith('{'))
    .map((part) => part.slice(1, -1));
}

export interface MatchedRoute {
  route: RouteName;
  resource: string;
  params: Record<string, string>;
}

function matchTemplate(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/').filter(Boolean);
  const have = path.split('/').filter(Boolean);
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const segment = have[i]!;
    if (part.startsWith('{')) {
      let value: string;
      try {
        value = decodeURIComponent(segment);
      } catch {
        return undefined;
      }
      params[part.slice(1, -1)] = value;
    } else if (part !== segment) return undefined;
  }
  return params;
}

/** The route of a URL path (`/projects/p1/exports`), with its path parameters decoded. */
export function routeOfPath(path: string): MatchedRoute | undefined {
  for (const [route, resource] of Object.entries(ROUTES) as Array<[RouteName, string]>) {
    const params = matchTemplate(resource, path);
    if (params) return { route, resource, params };
  }
  return undefined;
}

/**
 * The route of a request. API Gateway gives the matched resource and its parameters; the path
 * alone serves where no gateway matched it (the local server, tests). The method must be one the
 * route has.
 */
export function matchRoute(request: {
  method: string;
  resource?: string | null;
  path: string;
  pathParameters?: Record<string, string | undefined> | null;
}): MatchedRoute {
  const byResource = (Object.entries(ROUTES) as Array<[RouteName, string]>).find(
    ([, resource]) => resource === request.resource,
  );
  let matched: MatchedRoute | undefined;
  if (byResource) {
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(request.pathParameters ?? {}))
      if (value !== undefined) params[key] = value;
    matched = { route: byResource[0], resource: byResource[1], params };
  } else {
    matched = routeOfPath(request.path);
  }
  if (!matched) throw new NotFoundError(`no such resource: ${request.path}`);
  const allowed = Object.keys(ROUTE_METHODS[matched.route]);
  if (!allowed.includes(request.method.toUpperCase()))
    throw new MethodNotAllowedError(request.method.toUpperCase(), allowed);
  return matched;
}
