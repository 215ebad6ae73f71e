import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_PROJECT_ID, SAMPLE_TASK_IDS } from '../../local/sample';
import { runExport } from '../../local/run-export';
import { startExport } from '../../shared/exports/start';
import { startTestStack, succeededExport, type TestStack } from '../helpers/local';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.dispose();
});

/** The sample's object detection task, which most requests here export. */
const OD = SAMPLE_TASK_IDS.objectDetection;

async function exported(request: Record<string, unknown>) {
  const { record, zip } = await succeededExport(stack, request);
  return { record, zip, manifest: JSON.parse(await zip.text('manifest.json')) };
}

describe('export requests (DESIGN §5)', () => {
  it('type annotations writes no dataset media', async () => {
    const { zip } = await exported({ type: 'annotations', taskId: OD, format: 'coco' });
    expect(zip.names.filter((n) => n.startsWith('datasets/'))).toEqual([]);
    expect(zip.names).toContain('annotations/Parks/coco.json');
  });

  it('type datasets by task writes every image of its datasets and no annotations', async () => {
    const { zip, manifest } = await exported({
      type: 'datasets',
      taskId: OD,
    });
    expect(zip.names.filter((n) => n.startsWith('annotations/'))).toEqual([]);
    expect(zip.names.filter((n) => n.startsWith('datasets/'))).toHaveLength(20);
    expect(manifest.format).toBeNull();
  });

  it('type datasets by datasetIds without a task', async () => {
    const { zip, record } = await exported({ type: 'datasets', datasetIds: ['clips'] });
    expect(zip.names.filter((n) => n.startsWith('datasets/')).sort()).toEqual(
      ['clip_a', 'clip_b']
        .flatMap((v) => [0, 1, 2, 3, 4, 5].map((f) => `datasets/Clips/${v}/${f}.png`))
        .sort(),
    );
    expect(record.name).toMatch(/^Sample city-datasets-\d{8}-\d{4}$/);
  });

  it('datasetIds narrows the task to some of its datasets', async () => {
    const { zip, manifest } = await exported({
      type: 'both',
      taskId: OD,
      format: 'coco',
      datasetIds: ['parks'],
    });
    expect(manifest.datasets.map((d: { id: string }) => d.id)).toEqual(['parks']);
    expect(zip.names.some((n) => n.includes('Streets'))).toBe(false);
  });
});

describe('export requests (DESIGN §5): date ranges', () => {
  it('dateRange keeps items whose latest annotation falls in [from, to)', async () => {
    // Sample annotations of item i are updated on day i of 2026 (hours 1-4).
    const { zip } = await exported({
      type: 'both',
      taskId: OD,
      format: 'coco',
      dateRange: { from: '2026-01-04T00:00:00Z', to: '2026-01-07T00:00:00Z' },
    });
    const images = JSON.parse(await zip.text('annotations/Parks/coco.json')).images.map(
      (i: { file_name: string }) => i.file_name,
    );
    expect(images).toEqual(['parks_003.png', 'parks_004.png', 'parks_005.png']);
    expect(zip.names.filter((n) => n.startsWith('datasets/Parks/'))).toHaveLength(3);
  });

  it('dateRange filters type datasets on item creation', async () => {
    const { zip } = await exported({
      type: 'datasets',
      datasetIds: ['streets'],
      dateRange: { to: '2026-01-02T00:00:00Z' },
    });
    // Items 0 and 10 were created on 2026-01-01.
    expect(zip.names.filter((n) => n.startsWith('datasets/')).sort()).toEqual([
      'datasets/Streets_ day_night/streets_000.png',
      'datasets/Streets_ day_night/streets_010.png',
    ]);
  });
});

describe('export requests (DESIGN §5): names and refusals', () => {
  it('names the export {project}-{task}-{format}-{yyyyMMdd-HHmm} unless named', async () => {
    const deps = { ...stack.startDeps(), now: () => new Date('2026-03-04T05:06:07Z') };
    const generated = await startExport(deps, SAMPLE_PROJECT_ID, {
      type: 'annotations',
      taskId: OD,
      format: 'kitti',
    });
    expect(generated.name).toBe('Sample city-Objects-kitti-20260304-0506');
    const named = await startExport(deps, SAMPLE_PROJECT_ID, {
      type: 'annotations',
      taskId: OD,
      format: 'kitti',
      name: 'mine',
    });
    expect(named.name).toBe('mine');
    await stack.stepFunctions.settle();
  });

  it('refuses a dataset the task does not have, and a format its type does not allow, naming both', async () => {
    const foreign = await runExport(stack, SAMPLE_PROJECT_ID, {
      type: 'both',
      taskId: OD,
      format: 'coco',
      datasetIds: ['clips'],
    });
    expect(foreign.status).toBe('FAILED');
    expect(foreign.error?.message).toBe(`dataset clips is not a dataset of task ${OD}`);
    await expect(
      startExport(stack.startDeps(), SAMPLE_PROJECT_ID, {
        type: 'both',
        taskId: SAMPLE_TASK_IDS.classification,
        format: 'coco',
      }),
    ).rejects.toThrow(
      'format "coco" is not available for classification tasks; allowed formats: csv, innotescus_json',
    );
  });
});
