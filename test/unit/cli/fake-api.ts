import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExportView } from '../../../shared/exports/table';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FakeApi {
  url: string;
  received: ReceivedRequest[];
  /** The views GET .../exports/{id} answers with, one per call (the last one repeats). */
  views: ExportView[];
  /** What GET /formats and GET /projects/{p}/tasks answer. */
  answers: Record<string, { status: number; body: unknown }>;
  close(): Promise<void>;
}

export const ARCHIVE_BYTES = Buffer.from('PK\u0005\u0006 the archive');

export function anExportView(fields: Partial<ExportView> = {}): ExportView {
  return {
    id: 'e1',
    projectId: 'p',
    name: 'nightly',
    type: 'both',
    task: { id: 't', name: 'T', type: 'object_detection' },
    format: 'coco',
    maskKind: null,
    encryption: null,
    request: { type: 'both' } as ExportView['request'],
    status: 'QUEUED',
    progress: { done: 0, total: 0 },
    created_at: '2026-01-01T00:00:00.000Z',
    started_at: null,
    finished_at: null,
    archive: null,
    counts: null,
    warnings: [],
    error: null,
    bytes: null,
    ...fields,
  };
}

/** The REST API as the CLI sees it, answering from `views` and `answers`; the archive too. */
export async function startFakeApi(): Promise<FakeApi> {
  const received: ReceivedRequest[] = [];
  const api = { received, views: [] as ExportView[], answers: {} } as FakeApi;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const path = request.url!;
      received.push({
        method: request.method!,
        path,
        headers: request.headers,
        body: text ? JSON.parse(text) : undefined,
      });
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (path === '/archive.zip') return response.end(ARCHIVE_BYTES);
      const answer = api.answers[`${request.method} ${path}`];
      if (answer) return send(answer.status, answer.body);
      if (request.method === 'POST' && path.endsWith('/exports')) return send(202, anExportView());
      if (request.method === 'GET' && /\/exports\/[^/]+$/.test(path)) {
        const view = api.views.length > 1 ? api.views.shift()! : api.views[0];
        return view ? send(200, view) : send(404, { error: { code: 'NotFound', message: 'no' } });
      }
      send(404, { error: { code: 'NotFound', message: `no route ${path}`, details: [] } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api.close = () => new Promise((resolve) => server.close(() => resolve()));
  return api;
}

/** An export that ended well, with its archive at the fake API's /archive.zip. */
export function succeeded(api: FakeApi): ExportView {
  return anExportView({
    status: 'SUCCEEDED',
    progress: { done: 2, total: 2 },
    archive: {
      key: 'exports/p/e1/nightly.zip',
      bytes: ARCHIVE_BYTES.length,
      crc32: '0000abcd',
      files: 3,
    },
    bytes: ARCHIVE_BYTES.length,
    download_url: `${api.url}/archive.zip`,
  });
}
