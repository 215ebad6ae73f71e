import type { ExportView } from '../shared/exports/table';

export const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'UNREADABLE']);

/** `RUNNING [██████░░░░░░]  50% 3/6 shards` — one line of the progress bar. */
export function progressLine(view: Pick<ExportView, 'status' | 'progress'>, width = 30): string {
  const { done, total } = view.progress;
  const share = view.status === 'SUCCEEDED' ? 1 : total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(share * width);
  const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
  const percent = `${Math.floor(share * 100)}%`.padStart(4);
  const shards = total > 0 ? ` ${done}/${total} shards` : '';
  return `${view.status.padEnd(9)} [${bar}] ${percent}${shards}`;
}

export interface WaitOptions {
  intervalMs?: number;
  /** Where the bar goes: a terminal gets one line redrawn, anything else a line per change. */
  stream?: NodeJS.WriteStream;
  signal?: AbortSignal;
}

/** Polls an export until it has ended, drawing its progress; returns its last view. */
export async function waitForExport(
  read: () => Promise<ExportView>,
  options: WaitOptions = {},
): Promise<ExportView> {
  const stream = options.stream ?? process.stderr;
  const interval = options.intervalMs ?? 1000;
  let last = '';
  for (;;) {
    const view = await read();
    const line = progressLine(view);
    if (stream.isTTY) stream.write(`\r${line}`);
    else if (line !== last) stream.write(`${line}\n`);
    last = line;
    if (FINISHED.has(view.status)) {
      if (stream.isTTY) stream.write('\n');
      return view;
    }
    if (options.signal?.aborted) throw new Error('stopped waiting');
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
