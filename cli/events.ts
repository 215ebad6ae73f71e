import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

export { LOCAL_EVENTS_FILE } from '../local/endpoints';

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
  for (;;) {
    const size = await stat(file).then(
      (s) => s.size,
      () => 0,
    );
    if (size > offset) {
      // Only whole lines count: a line still being appended is read again in the next round.
      let rest = '';
      for await (const chunk of createReadStream(file, {
        start: offset,
        end: size - 1,
        encoding: 'utf8',
      })) {
        const lines = (rest + (chunk as string)).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          offset += Buffer.byteLength(line) + 1;
          if (line.trim() !== '') print(options.json ? line : eventText(line));
        }
      }
    }
    if (!options.follow || options.signal?.aborted) return;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
    if (options.signal?.aborted) return;
  }
}
