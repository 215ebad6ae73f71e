import type { parseArgs, ParseArgsConfig } from 'node:util';
import type { ExportRequest } from '../../shared/exports/request';

/** Every option of every command; each command reads the ones it knows. */
export const OPTIONS = {
  project: { type: 'string' },
  endpoint: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  // create
  name: { type: 'string' },
  type: { type: 'string' },
  task: { type: 'string' },
  format: { type: 'string' },
  'mask-kind': { type: 'string' },
  dataset: { type: 'string', multiple: true },
  from: { type: 'string' },
  to: { type: 'string' },
  split: { type: 'string' },
  seed: { type: 'string' },
  'split-mode': { type: 'string' },
  password: { type: 'string' },
  encryption: { type: 'string' },
  'idempotency-key': { type: 'string' },
  wait: { type: 'boolean' },
  download: { type: 'boolean' },
  // list, download
  limit: { type: 'string' },
  cursor: { type: 'string' },
  all: { type: 'boolean' },
  out: { type: 'string' },
  interval: { type: 'string' },
  // import-coco
  images: { type: 'string' },
  coco: { type: 'string' },
  'task-type': { type: 'string' },
  'project-name': { type: 'string' },
  'dataset-name': { type: 'string' },
  'task-name': { type: 'string' },
  bucket: { type: 'string' },
  's3-endpoint': { type: 'string' },
} satisfies ParseArgsConfig['options'];

export type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>['values'];

export class UsageError extends Error {}

export function need(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`${flag} is required`);
  return value;
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
export function requestFromFlags(values: Values): ExportRequest {
  const datasets = values.dataset?.flatMap((d) => d.split(',')).filter(Boolean);
  const password = values.password ?? process.env.ANNOTATION_EXPORT_PASSWORD;
  const request: Record<string, unknown> = {
    type: values.type ?? (values.format ? 'both' : 'datasets'),
    ...(values.name ? { name: values.name } : {}),
    ...(values.task ? { taskId: values.task } : {}),
    ...(values.format ? { format: values.format } : {}),
    ...(values['mask-kind'] ? { maskKind: values['mask-kind'] } : {}),
    ...(datasets && datasets.length > 0 ? { datasetIds: datasets } : {}),
    ...(values.from || values.to
      ? {
          dateRange: {
            ...(values.from ? { from: values.from } : {}),
            ...(values.to ? { to: values.to } : {}),
          },
        }
      : {}),
    ...(password ? { password } : {}),
    ...(values.encryption ? { encryption: values.encryption } : {}),
  };
  if (values.split) {
    request.split = {
      subsets: parseSplit(values.split),
      ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
      ...(values['split-mode'] ? { mode: values['split-mode'] } : {}),
    };
  }
  return request as unknown as ExportRequest;
}
