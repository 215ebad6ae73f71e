/**
 * Package throughput and peak memory (DESIGN §10, §17) with 20 ms added to every S3 request of
 * package (client middleware), for 1,000 and 10,000 items: a project of N images of 16 KiB with
 * four boxes each, exported as COCO of type both with an AES-256 password. Plan and render run
 * first; then package alone runs in its own process, started as the function is in Lambda, so
 * that its peak RSS is its own (the S3 server lives in the process that prepared the export).
 * Memory must stay flat: the peak for 10,000 items within 1.25x of that for 1,000.
 *
 *   npm run bench package             sizes 1000 and 10000
 *   npm run bench package -- 500 5000
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { startLocalStack } from '../local/stack';
import { pipelineDeps } from '../shared/aws/deps';
import { RecordStore } from '../shared/exports/record';
import { startExport } from '../shared/exports/start';
import { packageExport } from '../shared/pipeline/package';
import { planExport } from '../shared/pipeline/plan';
import { renderShard } from '../shared/pipeline/render';
import { packageProcess } from './package-runtime';
import { smallAndLarge } from './sizes';
import { SYNTHETIC_PROJECT, SYNTHETIC_TASK, seedSyntheticProject } from './synthetic-project';

const LATENCY_MS = Number(process.env.PACKAGE_BENCH_LATENCY_MS ?? '20');
const IMAGE_BYTES = 16 * 1024;
const self = fileURLToPath(import.meta.url);

interface PackageResult {
  seconds: number;
  /** CPU time of the package process (all its threads): what a loaded machine takes away. */
  cpuSeconds: number;
  peakMB: number;
  baselineMB: number;
  bytes: number;
  files: number;
}

async function seed(size: number): Promise<void> {
  const deps = pipelineDeps();
  await seedSyntheticProject(deps.s3, deps.dataBucket, {
    size,
    width: 640,
    height: 480,
    ext: 'jpg',
    image: () => randomBytes(IMAGE_BYTES),
  });
}

/** Prepares one export up to package (store, plan, render), then times package in a child. */
async function measure(size: number): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'package-bench-'));
  const stack = await startLocalStack({ directory, shardItems: 500 });
  try {
    await seed(size);
    // Only the record and the password object: the state machine does not run, the stages do.
    const sfn = { send: async () => ({}) } as unknown as SFNClient;
    const record = await startExport({ ...stack.startDeps(), sfn }, SYNTHETIC_PROJECT, {
      type: 'both',
      taskId: SYNTHETIC_TASK,
      format: 'coco',
      password: 'bench-Password-123',
    });
    const ref = { exportId: record.id, projectId: SYNTHETIC_PROJECT };
    const deps = pipelineDeps();
    const { shards } = await planExport(deps, ref);
    for (const shard of shards) await renderShard(deps, { ...ref, shard });

    const { args, env } = packageProcess(self, ['--package', record.id]);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (status !== 0) throw new Error(`package of ${size} items failed (status ${status})`);
    const result = JSON.parse(output.trim().split('\n').pop()!) as PackageResult;
    const finished = await new RecordStore(stack.s3, stack.config.exportBucket).get(
      SYNTHETIC_PROJECT,
      record.id,
    );
    if (finished.status !== 'SUCCEEDED') throw new Error(`export ${record.id} did not succeed`);
    console.log(JSON.stringify({ size, ...result }));
  } finally {
    await stack.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Runs package alone, every S3 request of its client delayed, sampling this process's RSS. */
async function packageOnly(exportId: string): Promise<void> {
  const deps = pipelineDeps();
  deps.s3.middlewareStack.add(
    (next) => async (args) => {
      await new Promise((resolve) => setTimeout(resolve, LATENCY_MS));
      return next(args);
    },
    { step: 'finalizeRequest', name: 'simulatedLatency' },
  );
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const record = await packageExport(deps, { exportId, projectId: SYNTHETIC_PROJECT });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  const used = process.cpuUsage(cpu);
  const result: PackageResult = {
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    peakMB: peak / 2 ** 20,
    baselineMB: baseline / 2 ** 20,
    bytes: record.archive!.bytes,
    files: record.archive!.files,
  };
  console.log(JSON.stringify(result));
}

if (process.argv[2] === '--package') {
  await packageOnly(process.argv[3]!);
} else if (process.argv[2] === '--measure') {
  await measure(Number(process.argv[3]));
} else {
  const [small, large] = smallAndLarge([1000, 10_000]);
  console.log(
    `node ${process.version}; package with ${LATENCY_MS} ms added to every S3 request; ` +
      `COCO, type both, AES-256, images of ${IMAGE_BYTES / 1024} KiB`,
  );
  const results = [small, large].map((size) => {
    // The S3 server's paginated listings need OpenSSL's legacy provider (DESIGN §19).
    const run = spawnSync(
      process.execPath,
      ['--openssl-legacy-provider', '--import', 'tsx', self, '--measure', String(size)],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (run.status !== 0) throw new Error(`bench of ${size} items failed`);
    return JSON.parse(run.stdout.trim().split('\n').pop()!) as PackageResult & { size: number };
  });
  for (const r of results) {
    console.log(
      `${String(r.size).padStart(6)} items  ${r.seconds.toFixed(1).padStart(6)} s ` +
        `(CPU ${r.cpuSeconds.toFixed(1)} s)  ` +
        `${(r.size / r.seconds).toFixed(0).padStart(5)} items/s  ` +
        `${(r.bytes / 2 ** 20 / r.seconds).toFixed(1)} MiB/s  peak ${r.peakMB.toFixed(0)} MB ` +
        `(at start ${r.baselineMB.toFixed(0)} MB)  archive ${(r.bytes / 2 ** 20).toFixed(1)} MiB, ` +
        `${r.files} files`,
    );
  }
  const ratio = results[1]!.peakMB / results[0]!.peakMB;
  console.log(
    `peak memory ratio ${large}/${small} items: ${ratio.toFixed(2)}x ` +
      `(target <= 1.25x: ${ratio <= 1.25 ? 'met' : 'MISSED'})`,
  );
}
