/**
 * One run of `npm run bench scale` (see bench/scale.bench.ts): an export of a project already
 * seeded into a data directory, through the whole state machine on the local stack, with 20 ms
 * added to every S3 request the handlers make (bench/latency-proxy.ts). Prints one JSON line:
 * seconds and items/s end to end and, per stage of the state machine, its wall seconds, the bytes
 * that crossed the proxy both ways and the peak RSS of this process while it ran.
 *
 * The parent copies this file and the proxy into an older checkout and runs them there too, so
 * they use only what both trees have: startLocalStack's directory, shardItems and
 * stepFunctions.beforeTask, and runExport.
 *
 *   node --import tsx bench/scale-measure.ts <tree> <commit> <directory> <size> <on|off> <project> <task>
 */
import { loadavg } from 'node:os';
import { startLocalStack } from '../local/stack';
import { runExport } from '../local/run-export';
import { startLatencyProxy, type Direction } from './latency-proxy';

const LATENCY_MS = Number(process.env.SCALE_BENCH_LATENCY_MS ?? '20');
const SHARD_ITEMS = 500;
/** Every result line starts with this, so that the parent tells it from the functions' logs. */
export const RESULT_PREFIX = '{"kind":"scale-run"';

/** The Task states of both trees' state machines, as stages: a shard renders or draws masks. */
const STAGE_OF_STATE: Record<string, string> = {
  Render: 'Render/Masks',
  Masks: 'Render/Masks',
  RecordShardFailure: 'RecordFailure',
};

export interface StageResult {
  name: string;
  /** Seconds from the run's start to the stage's first Task. */
  startedAt: number;
  seconds: number;
  /** Task invocations of the stage (one per shard in Render/Masks). */
  tasks: number;
  toServerBytes: number;
  toClientBytes: number;
  peakRssMB: number;
}

/**
 * The stages in the order they first ran. A stage runs from its first Task's start until the
 * next different stage's first start, or the execution's end; 'Start' is what comes before the
 * first Task (the record, the password and the execution's start, which go to S3 directly).
 */
class Stages {
  readonly list: StageResult[] = [];
  private current!: StageResult;
  private origin = performance.now();
  private peakRss = 0;

  constructor() {
    this.open('Start');
  }

  begin(): void {
    this.origin = performance.now();
  }

  task(state: string): void {
    const name = STAGE_OF_STATE[state] ?? state;
    const stage = this.list.find((s) => s.name === name) ?? this.open(name);
    stage.tasks++;
  }

  bytes(direction: Direction, bytes: number): void {
    this.current[`${direction}Bytes`] += bytes;
  }

  sample(rss: number): void {
    this.current.peakRssMB = Math.max(this.current.peakRssMB, rss / 2 ** 20);
    this.peakRss = Math.max(this.peakRss, rss);
  }

  get peakRssMB(): number {
    return this.peakRss / 2 ** 20;
  }

  end(): number {
    const seconds = this.now();
    this.current.seconds = seconds - this.current.startedAt;
    return seconds;
  }

  private now(): number {
    return (performance.now() - this.origin) / 1000;
  }

  private open(name: string): StageResult {
    const startedAt = this.now();
    if (this.list.length > 0) this.current.seconds = startedAt - this.current.startedAt;
    const stage = { name, startedAt, seconds: 0, tasks: 0, toServerBytes: 0, toClientBytes: 0 };
    this.current = { ...stage, peakRssMB: 0 };
    this.list.push(this.current);
    return this.current;
  }
}

/** COCO of type both; with AES, a password and AES-256 named as the request schema spells it. */
function exportRequest(taskId: string, aes: boolean): Record<string, unknown> {
  return {
    type: 'both',
    taskId,
    format: 'coco',
    ...(aes ? { password: 'bench-password', encryption: 'aes256' } : {}),
  };
}

/** A handler that kept its own endpoint would show as a stage with nothing through the proxy. */
function checkProxied(stages: StageResult[], connections: number): void {
  const silent = stages.filter((s) => s.name !== 'Start' && s.toServerBytes === 0);
  if (connections === 0 || silent.length > 0)
    throw new Error(
      `the latency proxy saw no S3 traffic (${connections} connections; silent stages: ${silent.map((s) => s.name).join(', ') || 'none'}): the handlers did not go through it`,
    );
}

/**
 * The local stack on `directory`, its handlers' S3 requests through the latency proxy, every
 * Task start and every byte through the proxy counted in `stages`.
 */
async function startProxiedStack(directory: string, stages: Stages) {
  const stack = await startLocalStack({
    directory,
    shardItems: SHARD_ITEMS,
    stepFunctions: { beforeTask: async (state) => stages.task(state) },
  });
  const proxy = await startLatencyProxy(stack.s3Endpoint, LATENCY_MS, (direction, bytes) =>
    stages.bytes(direction, bytes),
  );
  // The stack has pointed the environment at its S3 server; the handlers make their clients
  // when first invoked, from the environment, so from here on they go through the proxy. The
  // stack's own client (the record and the password that starting the export writes, the record
  // read at the end) was made already and goes direct.
  process.env.AWS_ENDPOINT_URL = proxy.endpoint;
  process.env.AWS_ENDPOINT_URL_S3 = proxy.endpoint;
  return { stack, proxy };
}

async function measure(args: string[]): Promise<void> {
  const [tree, commit, directory, sizeArg, aesArg, projectId, taskId] = args;
  if (taskId === undefined)
    throw new Error(
      'usage: scale-measure.ts <tree> <commit> <directory> <size> <on|off> <project> <task>',
    );
  const size = Number(sizeArg);
  const loadAtStart = loadavg();
  const stages = new Stages();
  const { stack, proxy } = await startProxiedStack(directory!, stages);
  try {
    global.gc?.();
    const baselineRssMB = process.memoryUsage.rss() / 2 ** 20;
    // memoryUsage.rss() is memoryUsage().rss without walking the heap's spaces each time.
    const sampler = setInterval(() => stages.sample(process.memoryUsage.rss()), 10);
    stages.begin();
    const record = await runExport(stack, projectId!, exportRequest(taskId, aesArg === 'on'));
    const seconds = stages.end();
    clearInterval(sampler);
    if (record.status !== 'SUCCEEDED' || !record.archive)
      throw new Error(
        `export ${record.id} ended ${record.status}: ${JSON.stringify(record.error)}`,
      );
    checkProxied(stages.list, proxy.connections);
    const result = {
      tree,
      commit,
      size,
      aes: aesArg === 'on',
      seconds,
      itemsPerSecond: size / seconds,
      stages: stages.list,
      peakRssMB: stages.peakRssMB,
      baselineRssMB,
      archive: { key: record.archive.key, bytes: record.archive.bytes },
      proxy: { connections: proxy.connections, latencyMs: LATENCY_MS },
      shardItems: SHARD_ITEMS,
      loadavg: { start: loadAtStart, end: loadavg() },
      node: process.version,
      date: new Date().toISOString(),
    };
    console.log(RESULT_PREFIX + JSON.stringify(result).replace(/^\{/, ','));
  } finally {
    await stack.stop();
    await proxy.close();
  }
}

if (process.argv[1]?.endsWith('scale-measure.ts')) {
  await measure(process.argv.slice(2));
  // Nothing is left to wait for; a handle the stack leaves open must not keep the run alive.
  process.exit(0);
}
