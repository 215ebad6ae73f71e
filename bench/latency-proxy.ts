/**
 * A TCP proxy that adds a fixed latency to every request sent to an S3 server: each chunk a
 * client sends is forwarded `delayMs` after it arrived, in order, so a request's first byte
 * arrives late while a streamed body behind it is not slowed further; answers go back at once.
 * It works below HTTP, so it holds for any client whatever the code that made it, and it counts
 * connections and bytes both ways so that a benchmark can prove its clients went through it.
 *
 * Used by bench/scale-measure.ts, which is also copied into an older checkout: it imports
 * nothing of the project.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type Direction = 'toServer' | 'toClient';

export interface LatencyProxy {
  /** `http://host:port` of the proxy, to be used as an S3 endpoint. */
  endpoint: string;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * Bytes held back (delayed, or queued for the server) per connection before the client is
 * paused: enough not to limit throughput on one machine (32 MiB per 20 ms is 1.6 GB/s), and a
 * bound on what the proxy adds to the memory of the process it runs in.
 */
const MAX_HELD_BYTES = 32 * 2 ** 20;

/** One chunk on its way to the server, or the client's end of its side of the connection. */
interface Held {
  due: number;
  chunk?: Buffer;
}

/** Forwards client→server with the delay, in arrival order; server→client straight through. */
function relay(client: Socket, server: Socket, delayMs: number, onBytes: OnBytes): void {
  const queue: Held[] = [];
  let held = 0;
  let timer: NodeJS.Timeout | undefined;
  const release = () => {
    timer = undefined;
    while (queue.length > 0 && queue[0]!.due <= performance.now()) {
      const { chunk } = queue.shift()!;
      if (chunk === undefined) server.end();
      else {
        held -= chunk.length;
        server.write(chunk);
      }
    }
    if (queue.length > 0) timer = setTimeout(release, queue[0]!.due - performance.now());
    if (held + server.writableLength <= MAX_HELD_BYTES && client.isPaused()) client.resume();
  };
  const hold = (chunk?: Buffer) => {
    queue.push({ due: performance.now() + delayMs, chunk });
    timer ??= setTimeout(release, delayMs);
  };
  client.on('data', (chunk: Buffer) => {
    onBytes('toServer', chunk.length);
    held += chunk.length;
    hold(chunk);
    if (held + server.writableLength > MAX_HELD_BYTES) client.pause();
  });
  client.on('end', () => hold());
  server.on('drain', release);
  server.on('data', (chunk: Buffer) => {
    onBytes('toClient', chunk.length);
    client.write(chunk);
  });
  server.on('end', () => client.end());
  const destroy = () => {
    clearTimeout(timer);
    client.destroy();
    server.destroy();
  };
  client.on('error', destroy);
  server.on('error', destroy);
  client.on('close', destroy);
  server.on('close', destroy);
}

type OnBytes = (direction: Direction, bytes: number) => void;

/** Listens on 127.0.0.1 (any free port) and forwards to `target` (`http://host:port`). */
export async function startLatencyProxy(
  target: string,
  delayMs: number,
  onBytes: OnBytes,
): Promise<LatencyProxy> {
  const { hostname, port } = new URL(target);
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    connections++;
    const upstream = connect({ host: hostname, port: Number(port), allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    relay(client, upstream, delayMs, onBytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
