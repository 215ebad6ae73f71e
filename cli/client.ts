import type { ExportPage, ExportView } from '../shared/exports/table';
import { readLocalEndpoints } from '../local/endpoints';

/** An error the API answered with, in its one error shape (DESIGN §12). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:3000';

/** The local API's address as `npm start` wrote it, else the default. */
export function localEndpoint(): string {
  return readLocalEndpoints()?.api ?? DEFAULT_ENDPOINT;
}

/** The REST API as the CLI (and the integration test) speaks to it, locally or deployed. */
export class ApiClient {
  constructor(
    readonly endpoint: string,
    private readonly token?: string,
  ) {}

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T; headers: Headers }> {
    const url = `${this.endpoint.replace(/\/+$/, '')}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          // A Cognito authorizer reads the raw ID token from Authorization.
          ...(this.token ? { authorization: this.token } : {}),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new ApiError(
        0,
        'Unreachable',
        `cannot reach ${this.endpoint} (${(error as Error).cause ?? (error as Error).message}); is \`npm start\` running?`,
        [],
      );
    }
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string; details?: unknown } })
        ?.error;
      throw new ApiError(
        response.status,
        error?.code ?? String(response.status),
        error?.message ?? (parsed as { message?: string })?.message ?? response.statusText,
        error?.details ?? [],
      );
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  private exportsPath(projectId: string, exportId?: string): string {
    const base = `/projects/${encodeURIComponent(projectId)}/exports`;
    return exportId ? `${base}/${encodeURIComponent(exportId)}` : base;
  }

  async create(projectId: string, request: unknown, idempotencyKey?: string): Promise<ExportView> {
    const headers: Record<string, string> = idempotencyKey
      ? { 'idempotency-key': idempotencyKey }
      : {};
    return (await this.call<ExportView>('POST', this.exportsPath(projectId), request, headers))
      .body;
  }

  async list(
    projectId: string,
    page: { limit?: number; cursor?: string } = {},
  ): Promise<ExportPage> {
    const query = new URLSearchParams();
    if (page.limit !== undefined) query.set('limit', String(page.limit));
    if (page.cursor) query.set('cursor', page.cursor);
    const suffix = query.size > 0 ? `?${query}` : '';
    return (await this.call<ExportPage>('GET', `${this.exportsPath(projectId)}${suffix}`)).body;
  }

  async get(projectId: string, exportId: string): Promise<ExportView> {
    return (await this.call<ExportView>('GET', this.exportsPath(projectId, exportId))).body;
  }

  async delete(projectId: string, exportId: string): Promise<void> {
    await this.call('DELETE', this.exportsPath(projectId, exportId));
  }

  async cancel(projectId: string, exportId: string): Promise<ExportView> {
    const path = `${this.exportsPath(projectId, exportId)}/cancel`;
    return (await this.call<ExportView>('POST', path)).body;
  }

  async formats(): Promise<unknown> {
    return (await this.call('GET', '/formats')).body;
  }

  async tasks(projectId: string): Promise<unknown> {
    return (await this.call('GET', `/projects/${encodeURIComponent(projectId)}/tasks`)).body;
  }
}
