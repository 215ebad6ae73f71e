import { open } from 'node:fs/promises';

/** Where the local stack (`npm start`) writes the events of ended exports, one JSON per line. */
export const LOCAL_EVENTS_FILE = '.local/events.jsonl';

interface EventLine {
  time?: string;
  'detail-type'?: string;
  detail?: {
    exportId?: string;
    projectId?: string;
    name?: string;
    format?: string | null;
    bytes?: number | null;
    reason?: { code: string; message: string } | null;
  };
}

/** One event as a line of text: when, what, which export, and its bytes or reason. */
export function eventText(line: string): string {
  const event = JSON.parse(line) as EventLine;
  const d = event.detail ?? {};
  const outcome = d.reason
    ? `${d.reason.code}: ${d.reason.message}`
    : d.bytes != null
      ? `${d.bytes} bytes`
      : '';
  return [event.time, event['detail-type'], `${d.projectId}/${d.exportId}`, d.name, outcome]
    .filter((part) => part !== undefined && part !== '')
    .join('  ');
}

/**
 * Prints the events in the file and, with `follow`, those appended later until `signal` aborts.
 * A file that does not exist yet has no events (the stack has not ended an export).
 */
export async function tailEvents(
  file: string,
  options: { follow: boolean; json: boolean; intervalMs: number; signal?: AbortSignal },
  print: (text: string) => void,
): Promise<void> {
  let offset = 0;
  let partial = '';
  for (;;) {
    const handle = await open(file, 'r').catch(() => undefined);
    if (handle) {
      try {
        const { size } = await handle.stat();
        if (size > offset) {
          const buffer = Buffer.alloc(size - offset);
          await handle.read(buffer, 0, buffer.length, offset);
          offset = size;
          const lines = (partial + buffer.toString('utf8')).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines.filter((l) => l.trim() !== ''))
            print(options.json ? line : eventText(line));
        }
      } finally {
        await handle.close();
      }
    }
    if (!options.follow || options.signal?.aborted) return;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
    if (options.signal?.aborted) return;
  }
}
