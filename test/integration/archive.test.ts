import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS } from '../../local/sample';
import { createArchive } from '../../shared/archive';
import { readArchive, runExport } from '../../local/run-export';
import { LocalStepFunctions } from '../../local/step-functions';
import { exists, listKeys } from '../../shared/aws/s3';
import { RecordStore, recordKeys } from '../../shared/exports/record';
import { startExport } from '../../shared/exports/start';
import type { CocoImage } from '../../shared/formats/coco';
import { subsetSizes } from '../../shared/split';
import type { PACKAGE } from '../../shared/version';
import { startTestStack, type TestStack } from '../helpers/local';
import { openZip } from '../helpers/zip';

let stack: TestStack;
/** Milliseconds each shard's Render waits before it runs, by shard index; none by default. */
let renderDelay: ((shard: number) => number) | undefined;

beforeAll(async () => {
  stack = await startTestStack({
    stepFunctions: {
      beforeTask: async (state, event) => {
        const { shard } = event as { shard?: { index: number } };
        const delay = state === 'Render' && shard ? (renderDelay?.(shard.index) ?? 0) : 0;
        await new Promise((resolve) => setTimeout(resolve, delay));
      },
    },
  });
});

afterAll(async () => {
  await stack?.dispose();
});

const SPLIT = {
  subsets: [
    { name: 'train', percent: 70 },
    { name: 'val', percent: 20 },
    { name: 'test', percent: 10 },
  ],
  seed: 11,
};

function imageDatasets() {
  return stack.sample.datasets
    .filter((d) => d.dataset.media === 'image')
    .map((d) => ({ ...d, folder: d.dataset.name.replace(/[/:]/g, '_') }));
}

describe('split exports', () => {
  it('partitions the items into exact subsets, each with its own COCO files and images', async () => {
    const record = await runExport(stack, SAMPLE_PROJECT_ID, {
      type: 'both',
      taskId: SAMPLE_TASK_IDS.objectDetection,
      format: 'coco',
      split: SPLIT,
    });
    expect(record.status).toBe('SUCCEEDED');
    const zip = await openZip(await readArchive(stack, record));
    const datasets = imageDatasets();
    const total = datasets.reduce((n, d) => n + d.items.length, 0);
    const seen = new Map<string, string>();
    const sizes: number[] = [];
    for (const { name } of SPLIT.subsets) {
      let size = 0;
      for (const { folder, items, media } of datasets) {
        const cocoPath = `${name}/annotations/${folder}/coco.json`;
        const images = zip.names.includes(cocoPath)
          ? (JSON.parse(await zip.text(cocoPath)) as { images: CocoImage[] }).images
          : [];
        const mediaFiles = zip.names
          .filter((n) => n.startsWith(`${name}/datasets/${folder}/`))
          .map((n) => n.slice(`${name}/datasets/${folder}/`.length));
        // The subset's COCO file lists exactly the subset's images, and nothing else.
        expect(images.map((i) => i.file_name).sort()).toEqual([...mediaFiles].sort());
        for (const file of mediaFiles) {
          const key = `${folder}/${file}`;
          expect(seen.has(key), `${key} is in ${seen.get(key)} and ${name}`).toBe(false);
          seen.set(key, name);
          const item = items.find((i) => i.name === file)!;
          expect(
            Buffer.from(await zip.bytes(`${name}/datasets/${folder}/${file}`)).equals(
              Buffer.from(media.get(item.media_key)!),
            ),
          ).toBe(true);
        }
        size += mediaFiles.length;
      }
      sizes.push(size);
    }
    expect(seen.size).toBe(total);
    expect(sizes).toEqual(subsetSizes(total, [70, 20, 10]));
    expect(
      zip.names.filter((n) => n.startsWith('annotations/') || n.startsWith('datasets/')),
    ).toEqual([]);
    const manifest = JSON.parse(await zip.text('manifest.json')) as {
      subsets: Array<{ name: string; items: number }>;
      generator: { name: string; version: string };
    };
    expect(manifest.subsets.map((s) => [s.name, s.items])).toEqual(
      SPLIT.subsets.map((s, i) => [s.name, sizes[i]]),
    );
    const { name, version } = JSON.parse(readFileSync('package.json', 'utf8')) as typeof PACKAGE;
    expect(manifest.generator).toEqual({ name, version });
    await zip.close();
  });

  it('gives the same subsets for the same seed', async () => {
    const request = {
      type: 'annotations',
      taskId: SAMPLE_TASK_IDS.objectDetection,
      format: 'coco',
      split: SPLIT,
    };
    const listing = async () => {
      const zip = await openZip(
        await readArchive(stack, await runExport(stack, SAMPLE_PROJECT_ID, request)),
      );
      const files: string[] = [];
      for (const name of zip.names.filter((n) => n.endsWith('coco.json'))) {
        const coco = JSON.parse(await zip.text(name)) as { images: CocoImage[] };
        files.push(...coco.images.map((i) => `${name.split('/')[0]}:${i.file_name}`));
      }
      await zip.close();
      return files.sort();
    };
    expect(await listing()).toEqual(await listing());
  });
});

/**
 * Starts an export as the API does, then runs the state machine here so that every state's input
 * and output (the shards' child executions' too) can be read from its history, and every console
 * line of the handlers is kept.
 */
async function exportObserved(request: Record<string, unknown>) {
  let input = '';
  const sfn = {
    send: async (command: { input: { input?: string } }) => {
      input = command.input.input ?? '';
      return {};
    },
  } as unknown as SFNClient;
  const logged: string[] = [];
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    }),
  );
  try {
    const started = await startExport({ ...stack.startDeps(), sfn }, SAMPLE_PROJECT_ID, request);
    // The local runner with its history kept: the parent's events and every child execution's.
    const machine = new LocalStepFunctions({ history: true, s3: stack.s3 });
    const execution = machine.start(started.id, input);
    await machine.close();
    // The history is gathered as the runner emits it: let the last events arrive.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const events = [input, ...execution.history!.map((e) => JSON.stringify(e))];
    events.push(execution.output ?? '');
    const record = await new RecordStore(stack.s3, stack.config.exportBucket).get(
      SAMPLE_PROJECT_ID,
      started.id,
    );
    return { record, events, logged };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

async function bucketTexts(bucket: string): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for await (const { key } of listKeys(stack.s3, bucket, '')) {
    const object = await stack.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    texts.set(key, Buffer.from(await object.Body!.transformToByteArray()).toString('latin1'));
  }
  return texts;
}

describe('password-protected exports', () => {
  const PASSWORD = 'Tr0ub4dor&3 split-secret';

  it('opens the AES-256 archive with the password; the password is in no payload, log, record or manifest', async () => {
    const { record, events, logged } = await exportObserved({
      type: 'both',
      taskId: SAMPLE_TASK_IDS.objectDetection,
      format: 'yolo_darknet',
      split: { ...SPLIT, mode: 'stable' },
      password: PASSWORD,
    });
    expect(record.status).toBe('SUCCEEDED');
    expect(record.encryption).toBe('aes256');
    const archive = await readArchive(stack, record);

    const zip = await openZip(archive, PASSWORD);
    expect(zip.entries.every((e) => e.encrypted && !e.zipCrypto)).toBe(true);
    const manifestText = await zip.text('manifest.json');
    expect(JSON.parse(manifestText).encryption).toEqual({ method: 'aes256' });
    const labels = zip.names.filter((n) => n.endsWith('darknet.labels'));
    expect(labels.length).toBeGreaterThan(0);
    for (const name of zip.names) await zip.bytes(name);
    await zip.close();
    const wrong = await openZip(archive, 'not the password');
    await expect(wrong.text('manifest.json')).rejects.toThrow(/password/i);
    await wrong.close();

    // The log holds every state's input and output, the Map's per-shard payloads included.
    expect(events.some((e) => e.includes('"StateExited"') && e.includes('"Package"'))).toBe(true);
    expect(events.some((e) => e.includes('"shard"'))).toBe(true);
    for (const event of events) expect(event).not.toContain(PASSWORD);
    for (const line of logged) expect(line).not.toContain(PASSWORD);
    expect(JSON.stringify(record)).not.toContain(PASSWORD);
    expect(manifestText).not.toContain(PASSWORD);
    // The password object is gone once the archive exists, and no other object holds it.
    expect(await exists(stack.s3, stack.config.exportBucket, recordKeys.secret(record.id))).toBe(
      false,
    );
    for (const [key, text] of await bucketTexts(stack.config.exportBucket)) {
      expect(text.includes(PASSWORD), key).toBe(false);
    }
    expect(archive.includes(Buffer.from(PASSWORD))).toBe(false);
  });

  it('writes ZipCrypto when asked, opened by the same password', async () => {
    const record = await runExport(stack, SAMPLE_PROJECT_ID, {
      type: 'annotations',
      taskId: SAMPLE_TASK_IDS.objectDetection,
      format: 'coco',
      password: PASSWORD,
      encryption: 'zipcrypto',
    });
    expect(record.status).toBe('SUCCEEDED');
    const zip = await openZip(await readArchive(stack, record), PASSWORD);
    expect(zip.entries.every((e) => e.encrypted && e.zipCrypto)).toBe(true);
    const coco = JSON.parse(await zip.text('annotations/Parks/coco.json')) as {
      images: CocoImage[];
    };
    expect(coco.images).toHaveLength(8);
    await zip.close();
  });

  it('records the archive size and CRC-32', async () => {
    const record = await runExport(stack, SAMPLE_PROJECT_ID, {
      type: 'annotations',
      taskId: SAMPLE_TASK_IDS.objectDetection,
      format: 'csv',
      password: PASSWORD,
    });
    const archive = await readArchive(stack, record);
    expect(record.archive).toMatchObject({
      bytes: archive.length,
      crc32: crc32(archive).toString(16).padStart(8, '0'),
    });
  });
});

/** The entries of a zip in its order, with their bytes, as an independent reader gives them. */
async function entriesOf(archive: Uint8Array): Promise<Array<{ name: string; bytes: Buffer }>> {
  const zip = await openZip(archive);
  const entries = [];
  for (const name of zip.names) entries.push({ name, bytes: Buffer.from(await zip.bytes(name)) });
  await zip.close();
  return entries;
}

describe('stitched archives', () => {
  it('are byte for byte the zip createArchive writes for the same entries, whatever order the shards finish in', async () => {
    const request = {
      type: 'both',
      taskId: SAMPLE_TASK_IDS.objectDetection,
      format: 'yolo_darknet',
    };
    // The first shards finish last: each shard marks itself done by writing its stats object.
    const finished: number[] = [];
    stack.s3Server.onEvent(({ eventName, s3 }) => {
      const done = /^work\/[^/]+\/stats\/(\d+)\.json$/.exec(s3.object.key);
      if (renderDelay && done && eventName.startsWith('ObjectCreated'))
        finished.push(Number(done[1]));
    });
    renderDelay = (shard) => (5 - shard) * 500;
    let record;
    try {
      record = await runExport(stack, SAMPLE_PROJECT_ID, request);
      await stack.s3Server.settled();
    } finally {
      renderDelay = undefined;
    }
    expect(record.status, JSON.stringify(record.error)).toBe('SUCCEEDED');
    expect(finished).toHaveLength(5);
    expect(finished).not.toEqual([...finished].sort());
    const archive = await readArchive(stack, record);

    // The zip the whole-archive writer makes of the same entries, in the same order.
    const reference = createArchive({ date: new Date(record.created_at) });
    const written = collect(reference.stream);
    const entries = await entriesOf(archive);
    for (const { name, bytes } of entries) await reference.append(name, bytes);
    await reference.finalize();
    const expected = await written;
    expect(entries.map((e) => e.name)).toContain('checksums.sha256');
    expect(entries.filter((e) => e.name.startsWith('datasets/')).length).toBeGreaterThan(10);
    expect(archive.length).toBe(expected.length);
    expect(sha256(archive)).toBe(sha256(expected));
  });
});

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
