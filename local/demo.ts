/**
 * `npm run demo`: starts the embedded stack, seeds the sample project, exports every allowed
 * (task, format) pair through the state machine, leaves the zips in ./exports/ and prints a table.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { allowedFormats } from '../shared/formats/index';
import { SAMPLE_PROJECT_ID, seedSampleProject } from './sample';
import { startLocalStack } from './stack';
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

const OUT = 'exports';

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

    const runs: Array<{
      label: string;
      task: string;
      request: Record<string, unknown>;
      note?: string;
    }> = [];
    for (const { task } of sample.tasks) {
      for (const format of allowedFormats(task.type, task.media)) {
        const kinds = format.maskKinds?.[task.type] ?? [undefined];
        for (const maskKind of kinds) {
          const id = maskKind ? `${format.id}:${maskKind}` : format.id;
          runs.push({
            label: id,
            task: `${task.name} (${task.type}${task.media === 'video' ? ', video' : ''})`,
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

    // A split, AES-256-protected export; DEMO_PASSWORD fixes its password (CI checks it with 7z).
    const password = process.env.DEMO_PASSWORD ?? randomBytes(9).toString('base64url');
    const detection = sample.tasks.find((t) => t.task.type === 'object_detection')!.task;
    runs.push({
      label: 'coco:split-aes256',
      task: `${detection.name} (${detection.type})`,
      request: {
        type: 'both',
        taskId: detection.id,
        format: 'coco',
        split: {
          subsets: [
            { name: 'train', percent: 70 },
            { name: 'val', percent: 20 },
            { name: 'test', percent: 10 },
          ],
          seed: 0,
        },
        password,
      },
      note: `password ${password}`,
    });

    // YOLO for Ultralytics with a held-out validation subset: `yolo train data=data.yaml` as is.
    runs.push({
      label: 'yolo_ultralytics:split',
      task: `${detection.name} (${detection.type})`,
      request: {
        type: 'both',
        taskId: detection.id,
        format: 'yolo_ultralytics',
        split: {
          subsets: [
            { name: 'train', percent: 80 },
            { name: 'val', percent: 20 },
          ],
          seed: 0,
        },
      },
    });

    const rows: Row[] = [];
    const header: Row = {
      task: 'task',
      format: 'format',
      items: 'items',
      annotations: 'annotations',
      files: 'files',
      bytes: 'bytes',
      seconds: 'seconds',
      note: '',
    };
    for (const [n, run] of runs.entries()) {
      const t0 = Date.now();
      const record = await runExport(stack, SAMPLE_PROJECT_ID, run.request);
      const seconds = ((Date.now() - t0) / 1000).toFixed(2);
      const file = join(OUT, `${record.task?.id ?? 'datasets'}-${run.label.replace(':', '-')}.zip`);
      if (record.status === 'SUCCEEDED') await downloadArchive(stack, record, file);
      else failures++;
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
      rows.push(row);
      console.log(
        `[${n + 1}/${runs.length}] ${row.task} ${row.format}: ${record.status} in ${seconds} s`,
      );
    }
    printTable([header, ...rows]);
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
