/**
 * annotation-export CLI: create, list, get, wait for, download and delete exports through the REST
 * API (the local one from `npm start` by default, or a deployed one with --endpoint and a token),
 * and import-coco to build a project store from a COCO file and an image folder.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import type { ExportRow, ExportView } from '../../shared/exports/table';
import type { ImportTaskType } from '../../shared/import/coco';
import { ApiClient, ApiError, localEndpoint } from './client';
import { need, OPTIONS, requestFromFlags, UsageError } from './flags';
import { runImportCoco } from './import-coco';
import { waitForExport } from './progress';

const USAGE = `usage: annotation-export <command> [options]

commands
  create     --project ID --type annotations|datasets|both --task ID --format FORMAT
             [--mask-kind KIND] [--dataset ID ...] [--from ISO] [--to ISO] [--name NAME]
             [--split train:80,val:20] [--seed N] [--split-mode random|stable]
             [--password PW | env ANNOTATION_EXPORT_PASSWORD] [--encryption aes256|zipcrypto]
             [--idempotency-key KEY] [--wait] [--download [FILE]]
  list       --project ID [--limit N] [--cursor C] [--all]
  get        --project ID EXPORT_ID
  wait       --project ID EXPORT_ID           progress bar on stderr until the export ends
  download   --project ID EXPORT_ID [--out FILE] [--wait]
  delete     --project ID EXPORT_ID
  formats                                     formats and the task types they serve
  tasks      --project ID                     tasks with their datasets
  import-coco --images DIR --coco FILE --project ID [--task-type classification|object_detection|instance_segmentation]
             [--project-name N] [--dataset ID] [--dataset-name N] [--task ID] [--task-name N]
             [--bucket B] [--s3-endpoint URL]

connection (every command but import-coco)
  --endpoint URL   the API (default: the one \`npm start\` runs, else http://127.0.0.1:3000)
  --token TOKEN    a Cognito ID token (default: env ANNOTATION_EXPORT_TOKEN)
  --json           print JSON instead of text
`;

function printTable(rows: ExportRow[]): void {
  const lines = [
    ['id', 'name', 'task', 'format', 'status', 'progress', 'created', 'bytes'],
    ...rows.map((r) => [
      r.id,
      r.name,
      r.task?.id ?? '-',
      r.format ? `${r.format}${r.maskKind ? `:${r.maskKind}` : ''}` : r.type,
      r.status,
      `${r.progress.done}/${r.progress.total}`,
      r.created_at.slice(0, 19).replace('T', ' '),
      r.bytes === null ? '-' : String(r.bytes),
    ]),
  ];
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const line of lines)
    console.log(
      line
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}

function printExport(view: ExportView, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(view, null, 2));
    return;
  }
  console.log(`${view.id}  ${view.name}`);
  console.log(
    `  ${view.status}  ${view.progress.done}/${view.progress.total} shards  ${view.type} ${view.format ?? ''}${view.maskKind ? `:${view.maskKind}` : ''}`,
  );
  if (view.counts)
    console.log(`  ${view.counts.items} items, ${view.counts.annotations} annotations`);
  if (view.archive)
    console.log(
      `  ${view.archive.files} files, ${view.archive.bytes} bytes, sha256 ${view.archive.sha256}`,
    );
  for (const warning of view.warnings) console.log(`  warning: ${warning}`);
  if (view.error) {
    console.log(`  error: ${view.error.message}`);
    for (const detail of view.error.details) console.log(`    - ${detail}`);
  }
  if (view.download_url) console.log(`  download (15 minutes): ${view.download_url}`);
}

async function download(view: ExportView, out?: string): Promise<string> {
  if (view.status !== 'SUCCEEDED' || !view.download_url)
    throw new Error(`export ${view.id} is ${view.status}; only a SUCCEEDED export has an archive`);
  const file = out ?? join('exports', view.archive!.key.split('/').pop()!);
  const response = await fetch(view.download_url);
  if (!response.ok || !response.body)
    throw new Error(`downloading ${view.id} failed: HTTP ${response.status}`);
  await mkdir(dirname(file), { recursive: true });
  await pipeline(Readable.fromWeb(response.body as never), createWriteStream(file));
  return file;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
  });
  const [command, exportId] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  if (command === 'import-coco') {
    const result = await runImportCoco({
      images: need(values.images, '--images'),
      coco: need(values.coco, '--coco'),
      projectId: need(values.project, '--project'),
      ...(values['project-name'] ? { projectName: values['project-name'] } : {}),
      ...(values.dataset?.[0] ? { datasetId: values.dataset[0] } : {}),
      ...(values['dataset-name'] ? { datasetName: values['dataset-name'] } : {}),
      ...(values.task ? { taskId: values.task } : {}),
      ...(values['task-name'] ? { taskName: values['task-name'] } : {}),
      ...(values['task-type'] ? { taskType: values['task-type'] as ImportTaskType } : {}),
      ...(values.bucket ? { bucket: values.bucket } : {}),
      ...(values['s3-endpoint'] ? { s3Endpoint: values['s3-endpoint'] } : {}),
    });
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(
        `imported project ${result.project.id}: dataset ${result.dataset.id} (${result.items} images), task ${result.task.id} (${result.task.type}, ${result.task.classes.length} classes, ${result.boxes} boxes, ${result.polygons} polygons, ${result.masks} masks, ${result.tags} labels)`,
      );
      for (const warning of result.warnings) console.log(`  warning: ${warning}`);
    }
    return 0;
  }

  const client = new ApiClient(
    values.endpoint ?? process.env.ANNOTATION_EXPORT_ENDPOINT ?? localEndpoint(),
    values.token ?? process.env.ANNOTATION_EXPORT_TOKEN,
  );
  const interval = values.interval ? Number(values.interval) : 1000;
  if (command === 'formats') {
    console.log(JSON.stringify(await client.formats(), null, 2));
    return 0;
  }
  const projectId = need(values.project ?? process.env.ANNOTATION_EXPORT_PROJECT, '--project');
  const waitFor = (id: string) =>
    waitForExport(() => client.get(projectId, id), { intervalMs: interval });
  switch (command) {
    case 'tasks':
      console.log(JSON.stringify(await client.tasks(projectId), null, 2));
      return 0;
    case 'create': {
      const created = await client.create(
        projectId,
        requestFromFlags(values),
        values['idempotency-key'],
      );
      if (!values.wait && !values.download) {
        if (values.json) printExport(created, true);
        else console.log(created.id);
        return 0;
      }
      console.error(`export ${created.id} (${created.name})`);
      const done = await waitFor(created.id);
      printExport(done, values.json ?? false);
      if (done.status === 'SUCCEEDED' && values.download)
        console.log(`saved ${await download(done, values.out)}`);
      return done.status === 'SUCCEEDED' ? 0 : 1;
    }
    case 'list': {
      const rows: ExportRow[] = [];
      let cursor = values.cursor;
      do {
        const page = await client.list(projectId, {
          ...(values.limit ? { limit: Number(values.limit) } : {}),
          ...(cursor ? { cursor } : {}),
        });
        rows.push(...page.items);
        cursor = page.next_cursor ?? undefined;
        if (!values.all && cursor && !values.json) console.error(`more: --cursor ${cursor}`);
      } while (values.all && cursor);
      if (values.json) console.log(JSON.stringify(rows, null, 2));
      else printTable(rows);
      return 0;
    }
    case 'get':
      printExport(await client.get(projectId, need(exportId, 'EXPORT_ID')), values.json ?? false);
      return 0;
    case 'wait': {
      const done = await waitFor(need(exportId, 'EXPORT_ID'));
      printExport(done, values.json ?? false);
      return done.status === 'SUCCEEDED' ? 0 : 1;
    }
    case 'download': {
      const id = need(exportId, 'EXPORT_ID');
      const view = values.wait ? await waitFor(id) : await client.get(projectId, id);
      console.log(`saved ${await download(view, values.out)}`);
      return 0;
    }
    case 'delete':
      await client.delete(projectId, need(exportId, 'EXPORT_ID'));
      console.log(`deleted ${exportId}`);
      return 0;
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

function report(error: unknown): number {
  if (error instanceof ApiError) {
    console.error(`error ${error.status} ${error.code}: ${error.message}`);
    if (Array.isArray(error.details))
      for (const d of error.details) if (d !== error.message) console.error(`  - ${d}`);
    return 1;
  }
  if (
    error instanceof UsageError ||
    (error as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')
  ) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const e = error as Error & { details?: string[] };
  console.error(`error: ${e?.message ?? e}`);
  for (const d of e?.details ?? []) if (d !== e.message) console.error(`  - ${d}`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = report(error);
  },
);
