import { PNG } from 'pngjs';
import type { S3Client } from '@aws-sdk/client-s3';
import { annotationRings } from '../shared/geometry';
import { fillRings } from '../shared/masks/rasterise';
import type {
  Annotation,
  Dataset,
  DatasetItem,
  MetadataDefinition,
  Point,
  Project,
  Task,
  TaskClass,
} from '../shared/model/types';
import { StoreWriter } from '../shared/store/writer';

/**
 * A deterministic sample project (DESIGN §13): synthetic images whose shapes are drawn from the
 * very annotations that describe them, so every exported object can be checked against the truth.
 * Objects sit in separate grid cells of their image and never overlap.
 */

export const SAMPLE_PROJECT_ID = 'sample';
export const IMAGE_WIDTH = 192;
export const IMAGE_HEIGHT = 128;
const CELL = 64;
const BASE_TIME = Date.parse('2026-01-01T00:00:00.000Z');
const DAY = 24 * 60 * 60 * 1000;

export interface SampleDataset {
  dataset: Dataset;
  items: DatasetItem[];
  /** Media files by media key (an image, or `{video}/{frame}.png` for video frames). */
  media: Map<string, Uint8Array>;
}

export interface SampleTask {
  task: Task;
  annotations: Map<string, Annotation[]>;
}

export interface SampleProject {
  project: Project;
  datasets: SampleDataset[];
  tasks: SampleTask[];
}

export const SAMPLE_TASK_IDS = {
  classification: 'classify-scenes',
  objectDetection: 'detect-objects',
  semanticSegmentation: 'segment-scenes',
  instanceSegmentation: 'segment-instances',
  video: 'track-objects',
} as const;

/** mulberry32: a tiny seeded generator, so the sample is the same on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const iso = (days: number, hours = 0) =>
  new Date(BASE_TIME + days * DAY + hours * 3600 * 1000).toISOString();

const itemDefinitions: MetadataDefinition[] = [
  {
    name: 'weather',
    display_name: 'Weather',
    type: 'List',
    required: false,
    classes: [],
    helpText: 'Sky at capture time',
    default: 'sunny',
    trueText: '',
    min: null,
    max: null,
    options: [{ value: 'sunny', display_name: 'Sunny' }, { value: 'rain' }],
  },
  {
    name: 'exposure',
    display_name: 'Exposure (ms)',
    type: 'Float',
    required: false,
    classes: [],
    helpText: '',
    default: null,
    trueText: '',
    min: 0,
    max: 1000,
    options: [],
  },
];

const annotationDefinitions: MetadataDefinition[] = [
  {
    name: 'occluded',
    display_name: 'Occlusion',
    type: 'Int',
    required: false,
    classes: [],
    helpText: '0 fully visible, 1 partly, 2 largely, 3 unknown',
    default: 0,
    trueText: '',
    min: 0,
    max: 3,
    options: [],
  },
  {
    name: 'verified',
    display_name: 'Verified',
    type: 'Bool',
    required: false,
    classes: [],
    helpText: '',
    default: false,
    trueText: 'Verified',
    min: null,
    max: null,
    options: [],
  },
];

const objectClasses: TaskClass[] = [
  { id: 1, name: 'vehicle', parent_id: null },
  { id: 2, name: 'car', parent_id: 1 },
  { id: 3, name: 'traffic light', parent_id: null },
  { id: 5, name: 'cat & dog', parent_id: null },
];

const sceneClasses: TaskClass[] = [
  { id: 1, name: 'street', parent_id: null },
  { id: 2, name: 'park', parent_id: null },
  { id: 4, name: 'indoor "office"', parent_id: null },
];

/** Class colours for drawing: distinct, far from the background. */
const COLOURS: Array<[number, number, number]> = [
  [220, 40, 40],
  [40, 160, 60],
  [40, 80, 220],
  [230, 180, 20],
  [160, 40, 200],
  [20, 190, 200],
];

function regularPolygon(
  cx: number,
  cy: number,
  radius: number,
  sides: number,
  phase: number,
): Point[] {
  return Array.from({ length: sides }, (_, k) => {
    const angle = phase + (2 * Math.PI * k) / sides;
    return { x: round2(cx + radius * Math.cos(angle)), y: round2(cy + radius * Math.sin(angle)) };
  });
}

const round2 = (v: number) => Math.round(v * 100) / 100;

function baseAnnotation(
  itemIndex: number,
  classId: number,
  instanceId: number,
  day: number,
): Omit<Annotation, 'type' | 'box' | 'poly'> {
  return {
    dataset_item_index: itemIndex,
    frame_index: 0,
    class_id: classId,
    instance_id: instanceId,
    is_open: false,
    annotators: 'sample@annotation-export',
    meta_data: { occluded: instanceId % 4, verified: instanceId % 2 === 0 },
    created_at: iso(day),
    updated_at: iso(day, instanceId),
  };
}

/** One object in grid cell `cell` of an image: a box (maybe rotated) or a polygon (maybe two parts). */
function objectIn(
  next: () => number,
  cell: number,
  kind: 'box' | 'poly',
  rotated: boolean,
): { box: Annotation['box']; poly: Annotation['poly']; type: 'Box' | 'Poly' } {
  const cx = (cell % 3) * CELL + CELL / 2;
  const cy = Math.floor(cell / 3) * CELL + CELL / 2;
  if (kind === 'box') {
    const w = 16 + Math.floor(next() * 24);
    const h = 14 + Math.floor(next() * 24);
    const x = Math.round(cx - w / 2);
    const y = Math.round(cy - h / 2);
    // Rotated boxes stay inside their cell: the rotated box's corners are within the half-diagonal.
    const orientation = rotated ? round2(0.2 + next() * 0.6) : null;
    return { type: 'Box', box: { x, y, w, h, orientation }, poly: null };
  }
  const sides = 5 + Math.floor(next() * 6);
  const twoParts = next() < 0.3;
  if (twoParts) {
    return {
      type: 'Poly',
      box: null,
      poly: [
        regularPolygon(cx - 12, cy - 8, 9, sides, next()),
        regularPolygon(cx + 12, cy + 10, 10, 4, 0.3),
      ],
    };
  }
  return {
    type: 'Poly',
    box: null,
    poly: [regularPolygon(cx, cy, 12 + next() * 14, sides, next())],
  };
}

function drawImage(
  annotations: Annotation[],
  classes: TaskClass[],
  seed: number,
  frameIndex = 0,
): Uint8Array {
  const png = new PNG({ width: IMAGE_WIDTH, height: IMAGE_HEIGHT });
  const next = random(seed);
  const tint = Math.floor(next() * 30);
  for (let y = 0; y < IMAGE_HEIGHT; y++) {
    for (let x = 0; x < IMAGE_WIDTH; x++) {
      const o = (y * IMAGE_WIDTH + x) * 4;
      png.data[o] = 200 + ((x + tint) % 20);
      png.data[o + 1] = 205 + ((y + tint) % 20);
      png.data[o + 2] = 210;
      png.data[o + 3] = 255;
    }
  }
  for (const annotation of annotations) {
    if (annotation.frame_index !== frameIndex) continue;
    const colour =
      COLOURS[classes.findIndex((c) => c.id === annotation.class_id) % COLOURS.length]!;
    fillRings(annotationRings(annotation), IMAGE_WIDTH, IMAGE_HEIGHT, (row, from, to) => {
      for (let x = from; x < to; x++) {
        const o = (row * IMAGE_WIDTH + x) * 4;
        png.data[o] = colour[0];
        png.data[o + 1] = colour[1];
        png.data[o + 2] = colour[2];
      }
    });
  }
  return PNG.sync.write(png, { colorType: 2 });
}

function imageItem(index: number, name: string, weather: string): DatasetItem {
  return {
    index,
    name,
    media_key: name,
    width: IMAGE_WIDTH,
    height: IMAGE_HEIGHT,
    num_frames: 1,
    num_channels: 3,
    bits_per_channel: 8,
    meta_data: { weather, exposure: 10 + index },
    created_at: iso(index % 10),
  };
}

/** A task of the sample: image media and the sample's annotation metadata unless it says otherwise. */
function sampleTask(
  t: Omit<Task, 'media' | 'annotation_metadata_definitions'> & { media?: Task['media'] },
): Task {
  return { media: 'image', annotation_metadata_definitions: annotationDefinitions, ...t };
}

/** The items an image task annotates: every item of a dataset but its last two. */
const annotatedItems = (d: SampleDataset): DatasetItem[] => d.items.slice(0, -2);

/** Two image datasets (12 and 8 images), their media not drawn yet. */
function imageDatasets(): SampleDataset[] {
  const imageDatasets: Array<{ id: string; name: string; count: number }> = [
    { id: 'streets', name: 'Streets: day/night', count: 12 },
    { id: 'parks', name: 'Parks', count: 8 },
  ];
  return imageDatasets.map(({ id, name, count }) => ({
    dataset: { id, name, media: 'image', item_metadata_definitions: itemDefinitions },
    items: Array.from({ length: count }, (_, i) =>
      imageItem(i, `${id}_${String(i).padStart(3, '0')}.png`, i % 3 === 0 ? 'rain' : 'sunny'),
    ),
    media: new Map(),
  }));
}

/** Classification: one Tag per annotated image. */
function classificationTask(datasets: SampleDataset[]): SampleTask {
  return {
    task: sampleTask({
      id: SAMPLE_TASK_IDS.classification,
      name: 'Scenes',
      type: 'classification',
      dataset_ids: datasets.map((d) => d.dataset.id),
      classes: sceneClasses,
      rotation_enabled: false,
    }),
    annotations: new Map(
      datasets.map((d, di) => [
        d.dataset.id,
        annotatedItems(d).map((item) => ({
          ...baseAnnotation(
            item.index,
            sceneClasses[(item.index + di) % sceneClasses.length]!.id,
            0,
            item.index,
          ),
          type: 'Tag' as const,
          box: null,
          poly: null,
        })),
      ]),
    ),
  };
}

/** One to four objects in separate cells of each annotated image, drawn from `seed`. */
function shapeAnnotations(d: SampleDataset, kind: 'box' | 'poly', seed: number): Annotation[] {
  const list: Annotation[] = [];
  for (const item of annotatedItems(d)) {
    const next = random(seed * 1000 + item.index * 7 + d.dataset.id.length);
    const count = 1 + Math.floor(next() * 4);
    const cells = [0, 1, 2, 3, 4, 5].sort(() => next() - 0.5).slice(0, count);
    cells.forEach((cell, k) => {
      const cls = objectClasses[Math.floor(next() * objectClasses.length)]!;
      const shape = objectIn(next, cell, kind, kind === 'box' && k === 0 && item.index % 2 === 1);
      list.push({ ...baseAnnotation(item.index, cls.id, k + 1, item.index), ...shape });
    });
  }
  return list;
}

/** A task of boxes (some rotated) or polygons over the image datasets. */
function shapeTask(
  datasets: SampleDataset[],
  task: Pick<Task, 'id' | 'name' | 'type'>,
  kind: 'box' | 'poly',
  seed: number,
): SampleTask {
  return {
    task: sampleTask({
      ...task,
      dataset_ids: datasets.map((d) => d.dataset.id),
      classes: objectClasses,
      rotation_enabled: kind === 'box',
    }),
    annotations: new Map(datasets.map((d) => [d.dataset.id, shapeAnnotations(d, kind, seed)])),
  };
}

/** One image serves every task of its dataset; it shows the shapes of the task `drawn`. */
function drawImages(datasets: SampleDataset[], drawn: SampleTask): void {
  for (const d of datasets) {
    const annotations = drawn.annotations.get(d.dataset.id) ?? [];
    for (const item of d.items) {
      const own = annotations.filter((a) => a.dataset_item_index === item.index);
      d.media.set(item.media_key, drawImage(own, objectClasses, item.index + 17));
    }
  }
}

const VIDEO_FRAMES = 6;

/** Per frame, an object moving right, and from the third frame a second one standing still. */
function clipAnnotations(item: DatasetItem): Annotation[] {
  const annotations: Annotation[] = [];
  for (let frame = 0; frame < VIDEO_FRAMES; frame++) {
    annotations.push({
      ...baseAnnotation(item.index, 2, 1, 20 + frame),
      frame_index: frame,
      type: 'Poly',
      box: null,
      poly: [regularPolygon(30 + frame * 12 + item.index * 5, 40, 14, 6, 0.1)],
    });
    if (frame >= 2) {
      annotations.push({
        ...baseAnnotation(item.index, 5, 2, 20 + frame),
        frame_index: frame,
        type: 'Box',
        box: { x: 120, y: 70, w: 30 + item.index * 4, h: 24, orientation: null },
        poly: null,
      });
    }
  }
  return annotations;
}

/** Video: two clips of six frames, with an instance segmentation task that tracks them. */
function videoSample(): { dataset: SampleDataset; task: SampleTask } {
  const video: SampleDataset = {
    dataset: {
      id: 'clips',
      name: 'Clips',
      media: 'video',
      item_metadata_definitions: itemDefinitions,
    },
    items: ['clip_a', 'clip_b'].map((name, index) => ({
      ...imageItem(index, name, 'sunny'),
      media_key: `${name}/`,
      num_frames: VIDEO_FRAMES,
    })),
    media: new Map(),
  };
  const annotations: Annotation[] = [];
  for (const item of video.items) {
    const own = clipAnnotations(item);
    annotations.push(...own);
    for (let frame = 0; frame < VIDEO_FRAMES; frame++) {
      const png = drawImage(own, objectClasses, item.index * 31 + frame, frame);
      video.media.set(`${item.name}/${frame}.png`, png);
    }
  }
  const task = sampleTask({
    id: SAMPLE_TASK_IDS.video,
    name: 'Tracks',
    type: 'instance_segmentation',
    media: 'video',
    dataset_ids: ['clips'],
    classes: objectClasses,
    rotation_enabled: false,
  });
  return { dataset: video, task: { task, annotations: new Map([['clips', annotations]]) } };
}

/**
 * Builds the sample project in memory. Two image datasets (12 and 8 images, the last two of each
 * left unannotated), one video dataset (2 videos of 6 frames), and five tasks: one per task type on
 * the image datasets, and an instance segmentation task on the video.
 */
export function buildSampleProject(): SampleProject {
  const images = imageDatasets();
  const instances = shapeTask(
    images,
    { id: SAMPLE_TASK_IDS.instanceSegmentation, name: 'Instances', type: 'instance_segmentation' },
    'poly',
    3,
  );
  const tasks = [
    classificationTask(images),
    shapeTask(
      images,
      { id: SAMPLE_TASK_IDS.objectDetection, name: 'Objects', type: 'object_detection' },
      'box',
      1,
    ),
    shapeTask(
      images,
      { id: SAMPLE_TASK_IDS.semanticSegmentation, name: 'Regions', type: 'semantic_segmentation' },
      'poly',
      2,
    ),
    instances,
  ];
  drawImages(images, instances);
  const video = videoSample();
  return {
    project: { id: SAMPLE_PROJECT_ID, name: 'Sample city', created_at: iso(0) },
    datasets: [...images, video.dataset],
    tasks: [...tasks, video.task],
  };
}

/** Writes the sample project to the store. */
export async function seedSampleProject(
  s3: S3Client,
  bucket: string,
  sample = buildSampleProject(),
): Promise<SampleProject> {
  const writer = new StoreWriter(s3, bucket, sample.project.id);
  await writer.project(sample.project);
  for (const { dataset, items, media } of sample.datasets) {
    await writer.dataset(dataset);
    await writer.items(dataset.id, items);
    const uploads = [...media].map(
      ([key, body]) =>
        () =>
          writer.media(dataset.id, key, body, 'image/png'),
    );
    for (let i = 0; i < uploads.length; i += 16)
      await Promise.all(uploads.slice(i, i + 16).map((u) => u()));
  }
  for (const { task, annotations } of sample.tasks) {
    await writer.task(task);
    for (const [datasetId, list] of annotations) await writer.annotations(task.id, datasetId, list);
  }
  return sample;
}
