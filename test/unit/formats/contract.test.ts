/**
 * What every annotation format promises, checked over the registry on the tiny project: golden
 * bytes, the same bytes on every run, safe relative paths, and shards that merge into exactly
 * what one shard renders.
 */
import { describe, expect, it } from 'vitest';
import { FORMATS } from '../../../shared/formats/index';
import type { Format } from '../../../shared/formats/types';
import { TASK_TYPES } from '../../../shared/model/types';
import { CASES, imagesCase, type CaseName, type TinyCase } from '../../fixtures/tiny/input';
import { asText, golden, renderShard, renderShards } from './harness';
import { READERS, readerFor } from './readers';

/** Masks have their own tests (pixels, not text). */
const TEXT_FORMATS = FORMATS.filter((f) => !f.maskKinds);

function allows(format: Format, tiny: TinyCase): boolean {
  return format.taskTypes.includes(tiny.task.type) && format.media.includes(tiny.dataset.media);
}

const PAIRS: Array<{ caseName: CaseName; format: Format }> = Object.keys(CASES).flatMap(
  (caseName) =>
    TEXT_FORMATS.filter((format) => allows(format, CASES[caseName as CaseName]())).map(
      (format) => ({ caseName: caseName as CaseName, format }),
    ),
);

describe.each(PAIRS)('$format.id on the $caseName case', ({ caseName, format }) => {
  it('renders the golden files', async () => {
    const { files } = await renderShard(format, CASES[caseName]());
    expect(asText(files)).toEqual(golden(`${caseName}/${format.id}`, files));
  });

  it('renders the same bytes on every run', async () => {
    const first = await renderShard(format, CASES[caseName]());
    const second = await renderShard(format, CASES[caseName]());
    expect(second.files).toEqual(first.files);
    expect(second.warnings).toEqual(first.warnings);
  });

  it('writes relative POSIX paths that stay inside the dataset folder', async () => {
    const { files } = await renderShard(format, CASES[caseName]());
    for (const path of files.keys()) {
      expect(path).not.toMatch(/^\/|\\|^[A-Za-z]:/);
      expect(path.split('/')).not.toContain('..');
      expect(path.split('/')).not.toContain('');
    }
  });

  it('merges one shard per item into what one shard of all items merges into', async () => {
    const tiny = CASES[caseName]();
    const whole = await renderShards(format, tiny, [tiny.items]);
    const split = await renderShards(
      format,
      tiny,
      tiny.items.map((item) => [item]),
    );
    expect(asText(split.files)).toEqual(asText(whole.files));
    expect(split.warnings).toEqual(whole.warnings);
  });

  it('merges one shard into the file that rendering gives', async () => {
    const tiny = CASES[caseName]();
    const rendered = await renderShard(format, tiny);
    const merged = await renderShards(format, tiny, [tiny.items]);
    expect([...merged.files.keys()].sort()).toEqual([...rendered.files.keys()].sort());
    for (const [path, body] of rendered.files) {
      const mergedBody = merged.files.get(path)!.toString('utf8');
      // COCO's merge may order the keys of its document differently: compare JSON as values.
      if (path.endsWith('.json')) expect(JSON.parse(mergedBody)).toEqual(JSON.parse(String(body)));
      else expect(mergedBody).toBe(body.toString('utf8'));
    }
  });
});

describe('every text format on every task type it declares', () => {
  const declared = TEXT_FORMATS.flatMap((format) =>
    format.taskTypes.map((type) => ({ id: format.id, format, type })),
  );
  it.each(declared)('$id renders a $type task', async ({ format, type }) => {
    const { files } = await renderShard(format, imagesCase(type));
    expect(files.size).toBeGreaterThan(0);
  });

  it('covers every task type with at least one format', () => {
    const covered = new Set(declared.map((d) => d.type));
    expect([...covered].sort()).toEqual([...TASK_TYPES].sort());
  });
});

describe('skipped annotations', () => {
  const boxFormats = TEXT_FORMATS.filter(
    (f) => f.id !== 'innotescus_json' && f.taskTypes.includes('object_detection'),
  );
  it.each(boxFormats.map((format) => ({ id: format.id, format })))(
    '$id warns about each annotation with nothing to write, naming item and frame',
    async ({ format }) => {
      const { warnings } = await renderShard(format, imagesCase());
      expect(warnings).toEqual([
        'a.jpg frame 0: polygon with fewer than 3 points skipped',
        'a.jpg frame 0: zero-area box skipped',
        'a.jpg frame 0: annotation lies outside the image and was skipped',
      ]);
    },
  );

  it('innotescus_json keeps every stored annotation and warns about none', async () => {
    const format = FORMATS.find((f) => f.id === 'innotescus_json')!;
    const tiny = imagesCase();
    const { files, warnings } = await renderShard(format, tiny);
    const annotations = JSON.parse(files.get('annotations.json')!.toString('utf8')) as unknown[];
    expect(annotations).toHaveLength(tiny.items.flatMap((i) => i.annotations).length);
    expect(warnings).toEqual([]);
  });
});

describe('boxes under one pixel', () => {
  /** The box formats: every format that writes a tight box per object (VOC, KITTI, the YOLOs). */
  const boxFormats = TEXT_FORMATS.filter((f) =>
    ['pascal_voc', 'kitti', 'yolo_darknet', 'yolo_keras', 'yolo_ultralytics'].includes(f.id),
  );

  function degenerateCase(): TinyCase {
    const tiny = imagesCase();
    const template = tiny.items[0]!.annotations.find((a) => a.type === 'Box')!;
    const item = { ...tiny.items[0]!, annotations: [] as (typeof template)[] };
    const box = (x: number, y: number, w: number, h: number) => ({
      ...template,
      box: { x, y, w, h, orientation: null },
    });
    // Under a pixel wide, under a pixel high, exactly one pixel, and a thin box cut by the image edge.
    item.annotations = [
      box(10.2, 10, 0.6, 8),
      box(20, 20, 8, 0.4),
      box(30, 30, 1, 1),
      box(63.5, 5, 4, 4),
    ];
    return { ...tiny, items: [item] };
  }

  it('covers all five box formats', () => {
    expect(boxFormats).toHaveLength(5);
  });

  it.each(boxFormats.map((format) => ({ id: format.id, format })))(
    '$id skips them with a warning and keeps a one-pixel box',
    async ({ format }) => {
      const tiny = degenerateCase();
      const { files, warnings } = await renderShard(format, tiny);
      const name = tiny.items[0]!.name;
      expect(warnings).toEqual([
        `${name} frame 0: box under one pixel wide or high skipped`,
        `${name} frame 0: box under one pixel wide or high skipped`,
        `${name} frame 0: box under one pixel wide or high skipped`,
      ]);
      const text = [...files.values()].map((b) => b.toString('utf8')).join('\n');
      if (format.id === 'pascal_voc') {
        expect(text.match(/<object>/g)).toHaveLength(1);
        expect(text).toContain('<xmin>31</xmin>');
        expect(text).toContain('<xmax>31</xmax>');
      }
    },
  );
});

describe('the independent readers of the round trip (test/integration/formats.test.ts)', () => {
  it.each(TEXT_FORMATS.map((format) => ({ id: format.id })))(
    '$id has a reader to read its archives back',
    ({ id }) => {
      expect(readerFor(id)).toBeTypeOf('function');
    },
  );

  it('names a format without a reader and where its reader goes', () => {
    expect(() => readerFor('new_format')).toThrow(
      'format "new_format" has no reader: add one to READERS in test/unit/formats/readers.ts',
    );
    expect(() => readerFor('toString')).toThrow('format "toString" has no reader');
  });

  it('has readers only for registered text formats', () => {
    expect(Object.keys(READERS).sort()).toEqual(TEXT_FORMATS.map((f) => f.id).sort());
  });
});
