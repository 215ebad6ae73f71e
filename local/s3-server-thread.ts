/** The thread of the local S3 server (startS3Server in s3-server.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { serveS3, type S3ThreadMessage, type S3ThreadRequest } from './s3-server';

const { directory, port } = workerData as { directory: string; port: number };
const tell = (message: S3ThreadMessage) => parentPort!.postMessage(message);
const server = await serveS3(directory, port);
server.onEvent((record) => tell({ kind: 'event', record }));
parentPort!.on('message', (request: S3ThreadRequest) => {
  if (request.kind === 'settle') tell({ kind: 'settled' });
  else void server.close().then(() => tell({ kind: 'closed' }));
});
tell({ kind: 'ready', endpoint: server.endpoint });
