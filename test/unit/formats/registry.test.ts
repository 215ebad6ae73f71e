/**
 * The registry in shared/formats/index.ts is the one list of formats: every format file is in it,
 * and what it allows is DESIGN §6's table, cell for cell.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/errors';
import { FORMATS, allowedFormats, formatFor, formatTable } from '../../../shared/formats/index';
import type { Format, MaskKind } from '../../../shared/formats/types';
import { MEDIA_TYPES, TASK_TYPES, type Media, type TaskType } from '../../../shared/model/types';

const FORMATS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../shared/formats');
/** Files of shared/formats/ that hold no format. */
const NOT_FORMATS = ['types.ts', 'index.ts'];
/** The files of shared/formats/ that hold formats (what formats share is under common/). */
const FORMAT_FILES = readdirSync(FORMATS_DIR).filter(
  (f) => f.endsWith('.ts') && !NOT_FORMATS.includes(f),
);

/** DESIGN §6, transcribed: ✓ as true, masks cells as their mask kinds; yolo_ultralytics has the cells of the other YOLO formats. */
const TABLE: Record<TaskType, Record<string, boolean | readonly MaskKind[]>> = {
  classification: {
    coco: false,
    coco_metadata: false,
    csv: true,
    innotescus_json: true,
    masks: false,
    pascal_voc: false,
    yolo_darknet: false,
    yolo_keras: false,
    yolo_ultralytics: false,
    kitti: false,
  },
  object_detection: {
    coco: true,
    coco_metadata: true,
    csv: true,
    innotescus_json: true,
    masks: false,
    pascal_voc: true,
    yolo_darknet: true,
    yolo_keras: true,
    yolo_ultralytics: true,
    kitti: true,
  },
  semantic_segmentation: {
    coco: true,
    coco_metadata: true,
    csv: true,
    innotescus_json: true,
    masks: ['aggregated_class', 'individual_class'],
    pascal_voc: false,
    yolo_darknet: true,
    yolo_keras: true,
    yolo_ultralytics: true,
    kitti: true,
  },
  instance_segmentation: {
    coco: true,
    coco_metadata: true,
    csv: true,
    innotescus_json: true,
    masks: ['aggregated_class', 'individual_class', 'instance'],
    pascal_voc: false,
    yolo_darknet: true,
    yolo_keras: true,
    yolo_ultralytics: true,
    kitti: true,
  },
};
/** DESIGN §6: "Video tasks: coco, coco_metadata, innotescus_json and masks." */
const VIDEO_FORMATS = ['coco', 'coco_metadata', 'innotescus_json', 'masks'];
const TABLE_IDS = Object.keys(TABLE.object_detection);

function expectedAllowed(id: string, taskType: TaskType, media: Media): boolean {
  const cell = TABLE[taskType][id];
  const allowedForImages = cell === true || (Array.isArray(cell) && cell.length > 0);
  return allowedForImages && (media === 'image' || VIDEO_FORMATS.includes(id));
}

/** One request per cell of the table, for the formats registered now. */
const CELLS = FORMATS.flatMap((format) =>
  TASK_TYPES.flatMap((taskType) =>
    MEDIA_TYPES.map((media) => ({ id: format.id, format, taskType, media })),
  ),
);

function isFormat(value: unknown): value is Format {
  const candidate = value as Partial<Format> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.id === 'string' &&
    typeof candidate.render === 'function' &&
    Array.isArray(candidate.merges)
  );
}

describe('the format registry', () => {
  it('registers every format that a file of shared/formats exports, and only those', async () => {
    const exportedByFiles = new Set<Format>();
    for (const file of FORMAT_FILES) {
      const module = (await import(join(FORMATS_DIR, file))) as Record<string, unknown>;
      const exported = Object.values(module).filter(isFormat);
      expect(exported.length, `${file} exports no format`).toBeGreaterThan(0);
      for (const format of exported) {
        expect(FORMATS, `${file}: ${format.id} is not registered`).toContain(format);
        exportedByFiles.add(format);
      }
    }
    expect(FORMATS.filter((f) => !exportedByFiles.has(f))).toEqual([]);
  });

  it('keeps format files apart: a format file imports no other format file', () => {
    for (const file of FORMAT_FILES) {
      const source = readFileSync(join(FORMATS_DIR, file), 'utf8');
      const siblings = [...source.matchAll(/from '\.\/([^/']+)'/g)].map(([, name]) => `${name}.ts`);
      // What formats share lives in common/ (and the types); a sibling format is not a library.
      expect(
        siblings.filter((s) => FORMAT_FILES.includes(s)),
        `${file} imports another format file`,
      ).toEqual([]);
    }
  });

  it('gives every format a major.minor version for manifest.json', () => {
    for (const format of FORMATS) expect(format.version, format.id).toMatch(/^\d+\.\d+$/);
  });

  it('has unique ids, all of them formats of DESIGN §6', () => {
    const ids = FORMATS.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(TABLE_IDS).toContain(id);
  });

  it('holds every format of DESIGN §6, in the order of its table', () => {
    expect(FORMATS.map((f) => f.id)).toEqual(TABLE_IDS);
  });

  it.each(CELLS)('allows $id for $taskType $media tasks exactly as DESIGN §6 says', (cell) => {
    const allowed = allowedFormats(cell.taskType, cell.media).includes(cell.format);
    expect(allowed).toBe(expectedAllowed(cell.id, cell.taskType, cell.media));
  });

  it('gives masks the mask kinds of DESIGN §6', () => {
    const withKinds = FORMATS.filter((f) => f.maskKinds);
    expect(withKinds.map((f) => f.id)).toEqual(['masks']);
    for (const format of withKinds) {
      for (const taskType of TASK_TYPES) {
        const cell = TABLE[taskType][format.id];
        const kinds = Array.isArray(cell) ? cell : [];
        expect([...(format.maskKinds?.[taskType] ?? [])].sort()).toEqual([...kinds].sort());
      }
    }
  });

  it('serves the same table to GET /formats', () => {
    const table = formatTable();
    expect(table.map((row) => row.id)).toEqual(FORMATS.map((f) => f.id));
    for (const row of table) {
      const format = FORMATS.find((f) => f.id === row.id)!;
      expect(row.taskTypes).toEqual(format.taskTypes);
      expect(row.media).toEqual(format.media);
      expect(row.label.length).toBeGreaterThan(0);
    }
  });
});

describe('formatFor', () => {
  const disallowed = CELLS.filter((c) => !expectedAllowed(c.id, c.taskType, c.media));
  const allowed = CELLS.filter((c) => expectedAllowed(c.id, c.taskType, c.media));

  it('has disallowed and allowed cells to check', () => {
    expect(disallowed.length).toBeGreaterThan(20);
    expect(allowed.length).toBeGreaterThan(20);
  });

  it.each(disallowed)(
    'rejects $id for $taskType $media tasks naming both and the allowed formats',
    ({ id, taskType, media }) => {
      let error: unknown;
      try {
        formatFor(id, taskType, media);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ValidationError);
      const message = (error as Error).message;
      expect(message).toContain(`"${id}"`);
      expect(message).toContain(taskType);
      if (media === 'video') expect(message).toContain('video');
      const allowedIds = allowedFormats(taskType, media).map((f) => f.id);
      expect(message).toContain(`allowed formats: ${allowedIds.join(', ') || 'none'}`);
    },
  );

  it.each(allowed)('accepts $id for $taskType $media tasks', ({ id, format, taskType, media }) => {
    const kinds = format.maskKinds?.[taskType];
    expect(formatFor(id, taskType, media, kinds?.[0])).toBe(format);
  });

  it('rejects an unknown format listing the known ones', () => {
    expect(() => formatFor('darknet', 'object_detection', 'image')).toThrow(
      /format "darknet" is unknown; formats: coco, coco_metadata, csv/,
    );
  });
});
