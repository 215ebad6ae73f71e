import type { ExportRequest } from '../shared/exports/request';

/** A mistake in the command line: exit code 2, with the command's usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The options of `create` that make the request body. */
export interface RequestOptions {
  type?: string;
  name?: string;
  task?: string;
  format?: string;
  maskKind?: string;
  dataset?: string[];
  from?: string;
  to?: string;
  split?: string;
  seed?: string;
  splitMode?: string;
  encryption?: string;
}

/** `--dataset a,b --dataset c` → a, b, c. */
export function collectIds(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').filter(Boolean)];
}

/** `train:80,val:20` → split subsets. */
export function parseSplit(text: string): Array<{ name: string; percent: number }> {
  return text.split(',').map((part) => {
    const [name, percent] = part.split(':');
    if (!name || percent === undefined || !/^\d+$/.test(percent))
      throw new UsageError(`--split takes name:percent pairs (train:80,val:20), not ${text}`);
    return { name: name.trim(), percent: Number(percent) };
  });
}

/** The export request the create flags describe; the API checks it (and lists every problem). */
export function requestFromFlags(options: RequestOptions, password?: string): ExportRequest {
  const datasets = options.dataset;
  const request: Record<string, unknown> = {
    type: options.type ?? (options.format ? 'both' : 'datasets'),
    ...(options.name ? { name: options.name } : {}),
    ...(options.task ? { taskId: options.task } : {}),
    ...(options.format ? { format: options.format } : {}),
    ...(options.maskKind ? { maskKind: options.maskKind } : {}),
    ...(datasets && datasets.length > 0 ? { datasetIds: datasets } : {}),
    ...(options.from || options.to
      ? {
          dateRange: {
            ...(options.from ? { from: options.from } : {}),
            ...(options.to ? { to: options.to } : {}),
          },
        }
      : {}),
    ...(password ? { password } : {}),
    ...(options.encryption ? { encryption: options.encryption } : {}),
  };
  if (options.split) {
    request.split = {
      subsets: parseSplit(options.split),
      ...(options.seed !== undefined ? { seed: Number(options.seed) } : {}),
      ...(options.splitMode ? { mode: options.splitMode } : {}),
    };
  }
  return request as unknown as ExportRequest;
}
