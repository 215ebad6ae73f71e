/**
 * `npm run demo`: starts the embedded stack, seeds the sample project, exports every allowed
 * (task, format) pair through the state machine, leaves the zips in ./exports/ and prints a table.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { allowedFormats } from '../shared/formats/index';
import type { ExportRecord } from '../shared/exports/record';
import type { Task } from '../shared/model/types';
import { SAMPLE_PROJECT_ID, type SampleProject, seedSampleProject } from './sample';
import { type LocalStack, startLocalStack } from './stack';
import { downloadArchive, runExport } from './run-export';

interface Row {
  task: string;
  format: string;
  items: string;
  annotations: string;
  files: string;
  bytes: string;
  seconds: string;
  note: string;
}

interface Run {
  label: string;
  task: string;
  request: Record<string, unknown>;
  note?: string;
}

const OUT = 'exports';

const HEADER: Row = {
  task: 'task',
  format: 'format',
  items: 'items',
  annotations: 'annotations',
  files: 'files',
  bytes: 'bytes',
  seconds: 'seconds',
  note: '',
};

const taskLabel = (task: Task): string =>
  `${task.name} (${task.type}${task.media === 'video' ? ', video' : ''})`;

/** A request for all of a task's datasets, split by percent with seed 0. */
function splitRequest(
  task: Task,
  format: string,
  percents: Record<string, number>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const subsets = Object.entries(percents).map(([name, percent]) => ({ name, percent }));
  return { type: 'both', taskId: task.id, format, split: { subsets, seed: 0 }, ...extra };
}

/** Every allowed (task, format) pair, and each mask kind of a format that has several. */
function allowedRuns(sample: SampleProject): Run[] {
  const runs: Run[] = [];
  for (const { task } of sample.tasks) {
    for (const format of allowedFormats(task.type, task.media)) {
      for (const maskKind of format.maskKinds?.[task.type] ?? [undefined]) {
        runs.push({
          label: maskKind ? `${format.id}:${maskKind}` : format.id,
          task: taskLabel(task),
          request: {
            type: 'both',
            taskId: task.id,
            format: format.id,
            ...(maskKind ? { maskKind } : {}),
          },
        });
      }
    }
  }
  return runs;
}

/** Two split exports of the detection task: one AES-256-protected, one for Ultralytics. */
function splitRuns(sample: SampleProject): Run[] {
  // DEMO_PASSWORD fixes the password (CI checks the archive with 7z).
  const password = process.env.DEMO_PASSWORD ?? randomBytes(9).toString('base64url');
  const detection = sample.tasks.find((t) => t.task.type === 'object_detection')!.task;
  return [
    {
      label: 'coco:split-aes256',
      task: taskLabel(detection),
      request: splitRequest(detection, 'coco', { train: 70, val: 20, test: 10 }, { password }),
      note: `password ${password}`,
    },
    // With a held-out validation subset: `yolo train data=data.yaml` as is.
    {
      label: 'yolo_ultralytics:split',
      task: taskLabel(detection),
      request: splitRequest(detection, 'yolo_ultralytics', { train: 80, val: 20 }),
    },
  ];
}

/** Runs one export to its end, downloads its archive if it succeeded, and gives its table row. */
async function exportOne(stack: LocalStack, run: Run): Promise<{ row: Row; record: ExportRecord }> {
  const t0 = Date.now();
  const record = await runExport(stack, SAMPLE_PROJECT_ID, run.request);
  const seconds = ((Date.now() - t0) / 1000).toFixed(2);
  const file = join(OUT, `${record.task?.id ?? 'datasets'}-${run.label.replace(':', '-')}.zip`);
  if (record.status === 'SUCCEEDED') await downloadArchive(stack, record, file);
  const row: Row = {
    task: run.task,
    format: run.label,
    items: String(record.counts?.items ?? '-'),
    annotations: String(record.counts?.annotations ?? '-'),
    files: String(record.archive?.files ?? '-'),
    bytes: String(record.archive?.bytes ?? '-'),
    seconds,
    note:
      record.status === 'SUCCEEDED'
        ? [file, run.note].filter(Boolean).join(', ')
        : `${record.status}: ${record.error?.message}`,
  };
  return { row, record };
}

async function main(): Promise<void> {
  const started = Date.now();
  await rm('.local/demo', { recursive: true, force: true });
  await rm(OUT, { recursive: true, force: true });
  const stack = await startLocalStack({ directory: '.local/demo/s3', shardItems: 5 });
  let failures = 0;
  try {
    console.log(`local stack: S3 ${stack.s3Endpoint}, Step Functions ${stack.sfnEndpoint}`);
    const sample = await seedSampleProject(stack.s3, stack.config.dataBucket);
    console.log(
      `seeded project "${sample.project.name}": ${sample.datasets.length} datasets, ${sample.tasks.length} tasks`,
    );
    const runs = [...allowedRuns(sample), ...splitRuns(sample)];
    const rows: Row[] = [];
    for (const [n, run] of runs.entries()) {
      const { row, record } = await exportOne(stack, run);
      if (record.status !== 'SUCCEEDED') failures++;
      rows.push(row);
      console.log(
        `[${n + 1}/${runs.length}] ${row.task} ${row.format}: ${record.status} in ${row.seconds} s`,
      );
    }
    printTable([HEADER, ...rows]);
    console.log(
      `\n${rows.length} exports, ${failures} failed, ${((Date.now() - started) / 1000).toFixed(1)} s; archives in ./${OUT}/`,
    );
  } finally {
    await stack.stop();
  }
  if (failures > 0) process.exitCode = 1;
}

function printTable(rows: Row[]): void {
  const keys = Object.keys(rows[0]!) as Array<keyof Row>;
  const widths = keys.map((k) => Math.max(...rows.map((r) => r[k].length)));
  const numeric = new Set<keyof Row>(['items', 'annotations', 'files', 'bytes', 'seconds']);
  console.log('');
  rows.forEach((row, i) => {
    console.log(
      keys
        .map((k, j) => (numeric.has(k) ? row[k].padStart(widths[j]!) : row[k].padEnd(widths[j]!)))
        .join('  ')
        .trimEnd(),
    );
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
