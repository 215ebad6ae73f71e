import { NotFoundError, ValidationError } from '../errors';
import { EXPORT_ID_PATTERN } from '../exports/ids';
import { cancelExport } from '../exports/cancel';
import type { ExportRecord } from '../exports/record';
import { startExportIdempotently } from '../exports/idempotency';
import { startExport, type StartDeps } from '../exports/start';
import { deleteExport, getExport, listExports, pageParameters, viewOf } from '../exports/table';
import type { TableDeps } from '../exports/table';
import { formatTable } from '../formats/index';
import { projectIdProblem, segmentProblem } from '../store/segments';
import { requireIdentity, requireProject, type Caller } from './auth';
import { callerProjects } from './projects';
import { matchRoute, type RouteName } from './routes';
import { projectTasks } from './tasks';

/**
 * Path parameters become parts of S3 keys (DESIGN §15): one that is not a safe segment (or, for a
 * project, cannot be in a group name) is a bad request; a well-formed id that names nothing is 404.
 */
function checkPathParameter(field: string, value: string, problem: string | undefined): void {
  if (problem) throw new ValidationError(`${field} ${JSON.stringify(value)} ${problem}`);
}

export type ApiDeps = StartDeps &
  TableDeps & {
    /** Tells whoever waits that an export ended here (a cancel): its event and metrics. */
    announce?: (record: ExportRecord) => Promise<void>;
  };

/** A REST request with its body already parsed and its headers lower-cased. */
export interface ApiRequest {
  method: string;
  path: string;
  /** API Gateway's matched resource (`/projects/{projectId}/exports`), when there is one. */
  resource?: string | null;
  pathParameters?: Record<string, string | undefined> | null;
  query: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  body: unknown;
  caller: Caller;
}

export interface ApiResult {
  statusCode: number;
  headers?: Record<string, string>;
  /** Serialised as JSON; absent for 204. */
  body?: unknown;
}

/**
 * The REST API of DESIGN §12 without any transport: routes a request, checks that the caller may
 * touch the project, and calls the exports core. Errors are thrown, for the caller to shape.
 */
export async function routeApiRequest(deps: ApiDeps, request: ApiRequest): Promise<ApiResult> {
  const { route, params } = matchRoute(request);
  return ROUTE_HANDLERS[route](deps, { ...request, method: request.method.toUpperCase() }, params);
}

type RouteHandler = (
  deps: ApiDeps,
  request: ApiRequest,
  params: Record<string, string>,
) => Promise<ApiResult>;

const ok = (body: unknown): ApiResult => ({ statusCode: 200, body });

/**
 * A route under `/projects/{projectId}`: the id must be a safe segment and the caller allowed in
 * the project.
 */
function inProject(
  handle: (
    deps: ApiDeps,
    request: ApiRequest,
    projectId: string,
    params: Record<string, string>,
  ) => Promise<ApiResult>,
): RouteHandler {
  return (deps, request, params) => {
    const projectId = params.projectId!;
    checkPathParameter('projectId', projectId, projectIdProblem(projectId));
    requireProject(request.caller, projectId);
    return handle(deps, request, projectId, params);
  };
}

/** A route under `/projects/{projectId}/exports/{exportId}`: a malformed id names nothing. */
function inExport(
  handle: (
    deps: ApiDeps,
    request: ApiRequest,
    projectId: string,
    exportId: string,
  ) => Promise<ApiResult>,
): RouteHandler {
  return inProject((deps, request, projectId, params) => {
    const exportId = params.exportId!;
    checkPathParameter('exportId', exportId, segmentProblem(exportId));
    if (!EXPORT_ID_PATTERN.test(exportId))
      throw new NotFoundError(`export ${JSON.stringify(exportId)} does not exist`);
    return handle(deps, request, projectId, exportId);
  });
}

const ROUTE_HANDLERS: Record<RouteName, RouteHandler> = {
  formats: async (_deps, request) => {
    requireIdentity(request.caller);
    return ok({ formats: formatTable() });
  },
  projects: async (deps, request) => {
    requireIdentity(request.caller);
    const listable = (id: string) => projectIdProblem(id) === undefined;
    return ok(await callerProjects(deps.s3, deps.dataBucket, request.caller, listable));
  },
  tasks: inProject(async (deps, _request, projectId) =>
    ok(await projectTasks(deps.s3, deps.dataBucket, projectId)),
  ),
  exports: inProject(async (deps, request, projectId) =>
    request.method === 'GET'
      ? ok(await listExports(deps, projectId, pageParameters(request.query)))
      : createExport(deps, request, projectId),
  ),
  oneExport: inExport(async (deps, request, projectId, exportId) => {
    if (request.method !== 'DELETE') return ok(await getExport(deps, projectId, exportId));
    await deleteExport(deps, projectId, exportId);
    return { statusCode: 204 };
  }),
  cancel: inExport(async (deps, _request, projectId, exportId) => {
    const record = await cancelExport(deps, projectId, exportId);
    if (deps.announce) await deps.announce(record);
    return ok(await viewOf(deps, record));
  }),
};

/** POST of an export: 202 with its record, or the export an Idempotency-Key already made. */
async function createExport(
  deps: ApiDeps,
  request: ApiRequest,
  projectId: string,
): Promise<ApiResult> {
  if (request.body === undefined) throw new ValidationError('the request body is missing');
  const key = request.headers['idempotency-key'];
  const { record, replayed } =
    key === undefined
      ? { record: await startExport(deps, projectId, request.body), replayed: false }
      : await startExportIdempotently(deps, projectId, request.body, key);
  return {
    statusCode: 202,
    headers: {
      location: `/projects/${encodeURIComponent(projectId)}/exports/${record.id}`,
      ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
    },
    body: replayed ? await viewOf(deps, record) : { ...record, bytes: null },
  };
}
