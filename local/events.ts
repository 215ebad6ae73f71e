import { appendFile, mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';

export { LOCAL_EVENTS_FILE } from './endpoints';

/** One line of the events file: the event as an EventBridge rule would deliver it. */
export interface LocalEvent {
  id: string;
  time: string;
  source: string;
  'detail-type': string;
  detail: unknown;
}

/**
 * EventBridge's PutEvents on 127.0.0.1, so that the functions put their events with
 * @aws-sdk/client-eventbridge unchanged through AWS_ENDPOINT_URL_EVENTBRIDGE; each event becomes
 * a line of the events file, which `npm run cli -- events` reads and follows.
 */
export class LocalEventBus {
  private server?: Server;
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  async listen(port = 0): Promise<string> {
    await mkdir(dirname(this.file), { recursive: true });
    this.server = createServer((request, response) => {
      void this.handle(request).then(({ status, body }) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async close(): Promise<void> {
    await this.writing;
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(request: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const action = String(request.headers['x-amz-target'] ?? '').replace(/^AWSEvents\./, '');
    if (action !== 'PutEvents') {
      return {
        status: 400,
        body: { __type: 'UnknownOperationException', message: `unsupported action ${action}` },
      };
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
      Entries?: Array<{ Source?: string; DetailType?: string; Detail?: string }>;
    };
    const events: LocalEvent[] = (body.Entries ?? []).map((entry) => ({
      id: randomUUID(),
      time: new Date().toISOString(),
      source: entry.Source ?? '',
      'detail-type': entry.DetailType ?? '',
      detail: JSON.parse(entry.Detail ?? '{}') as unknown,
    }));
    const lines = events.map((e) => JSON.stringify(e) + '\n').join('');
    this.writing = this.writing.then(() => appendFile(this.file, lines));
    await this.writing;
    return {
      status: 200,
      body: { FailedEntryCount: 0, Entries: events.map((e) => ({ EventId: e.id })) },
    };
  }
}
