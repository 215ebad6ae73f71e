import type { ExportRequestBody, ExportRow, Format, Project, ProjectTasks } from './types';

/** An answer of the API that is not a success: its status and every problem it listed. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: string[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClient {
  projects(): Promise<Project[]>;
  formats(): Promise<Format[]>;
  tasks(projectId: string): Promise<ProjectTasks>;
  exports(
    projectId: string,
    cursor?: string | null,
  ): Promise<{ items: ExportRow[]; next_cursor: string | null }>;
  exportOf(projectId: string, exportId: string): Promise<ExportRow>;
  createExport(
    projectId: string,
    body: ExportRequestBody,
    idempotencyKey: string,
  ): Promise<ExportRow>;
  deleteExport(projectId: string, exportId: string): Promise<void>;
}

export interface ApiOptions {
  /** Prefix of every path; '' for the page's own origin. */
  base: string;
  /** The ID token to send, or null where none is needed (the local dev identity). */
  token: () => string | null;
  /** Told when the API refuses the token, so that the page can sign in again. */
  onUnauthorised?: () => void;
  fetch?: typeof fetch;
}

const PAGE_SIZE = 20;

/** A whole record (POST, GET one) as a row of the table, which names a few fields itself. */
export function asRow(view: ExportRow): ExportRow {
  return {
    ...view,
    datasetIds: view.datasetIds ?? view.request?.datasetIds ?? null,
    subsets: view.subsets ?? view.request?.split?.subsets ?? null,
    encryption: view.encryption ?? null,
    expires_at: view.expires_at ?? null,
  };
}

export function createApi(options: ApiOptions): ApiClient {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  async function call<T>(method: string, path: string, body?: unknown, headers = {}): Promise<T> {
    const token = options.token();
    const response = await doFetch(`${options.base}${path}`, {
      method,
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: token } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      if (response.status === 401) options.onUnauthorised?.();
      const error = (parsed as { error?: { code?: string; message?: string; details?: unknown } })
        ?.error;
      const details = Array.isArray(error?.details) ? error.details.map(String) : [];
      throw new ApiError(
        response.status,
        error?.code ?? `HTTP${response.status}`,
        error?.message ?? `the server answered ${response.status}`,
        details,
      );
    }
    return parsed as T;
  }
  const project = (id: string) => `/projects/${encodeURIComponent(id)}`;
  return {
    projects: async () => (await call<{ projects: Project[] }>('GET', '/projects')).projects,
    formats: async () => (await call<{ formats: Format[] }>('GET', '/formats')).formats,
    tasks: (projectId) => call('GET', `${project(projectId)}/tasks`),
    exports: (projectId, cursor) =>
      call(
        'GET',
        `${project(projectId)}/exports?limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      ),
    exportOf: async (projectId, exportId) =>
      asRow(await call('GET', `${project(projectId)}/exports/${encodeURIComponent(exportId)}`)),
    createExport: async (projectId, body, idempotencyKey) =>
      asRow(
        await call('POST', `${project(projectId)}/exports`, body, {
          'idempotency-key': idempotencyKey,
        }),
      ),
    deleteExport: (projectId, exportId) =>
      call('DELETE', `${project(projectId)}/exports/${encodeURIComponent(exportId)}`),
  };
}
