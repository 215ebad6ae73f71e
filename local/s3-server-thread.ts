/** The thread of the local S3 server (startS3Server in s3-server.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { serveS3, type S3ThreadMessage } from './s3-server';

const { directory, port } = workerData as { directory: string; port: number };
const tell = (message: S3ThreadMessage) => parentPort!.postMessage(message);
const server = await serveS3(directory, port);
server.onEvent((record) => tell({ kind: 'event', record }));
parentPort!.on('message', (message: unknown) => {
  if (message !== 'close') return;
  void server.close().then(() => tell({ kind: 'closed' }));
});
tell({ kind: 'ready', endpoint: server.endpoint });
