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
import { matchRoute } from './routes';
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
  const method = request.method.toUpperCase();
  if (route === 'formats') {
    requireIdentity(request.caller);
    return { statusCode: 200, body: { formats: formatTable() } };
  }
  if (route === 'projects') {
    requireIdentity(request.caller);
    return {
      statusCode: 200,
      body: await callerProjects(
        deps.s3,
        deps.dataBucket,
        request.caller,
        (id) => projectIdProblem(id) === undefined,
      ),
    };
  }
  const projectId = params.projectId!;
  checkPathParameter('projectId', projectId, projectIdProblem(projectId));
  requireProject(request.caller, projectId);
  if (route === 'tasks') {
    return { statusCode: 200, body: await projectTasks(deps.s3, deps.dataBucket, projectId) };
  }
  if (route === 'exports' && method === 'GET') {
    return {
      statusCode: 200,
      body: await listExports(deps, projectId, pageParameters(request.query)),
    };
  }
  if (route === 'exports') {
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
  const exportId = params.exportId!;
  checkPathParameter('exportId', exportId, segmentProblem(exportId));
  if (!EXPORT_ID_PATTERN.test(exportId))
    throw new NotFoundError(`export ${JSON.stringify(exportId)} does not exist`);
  if (route === 'cancel') {
    const record = await cancelExport(deps, projectId, exportId);
    if (deps.announce) await deps.announce(record);
    return { statusCode: 200, body: await viewOf(deps, record) };
  }
  if (method === 'DELETE') {
    await deleteExport(deps, projectId, exportId);
    return { statusCode: 204 };
  }
  return { statusCode: 200, body: await getExport(deps, projectId, exportId) };
}
