import { ValidationError } from '../errors';
import { clippedBounds, fillableRings } from '../geometry';
import { maskClasses, type MaskClass } from '../masks/classes';
import { LabelMask, MAX_MASK_VALUE } from '../masks/label-mask';
import { encodeGreyPng } from '../masks/png';
import type { Annotation, Rings } from '../model/types';
import { annotationPlace, classLine, classLookup, concatenate, itemStem } from './merge';
import type { ExportItem, Format, MaskKind, RenderInput, RenderedFile } from './types';

/** The value-to-class file of aggregated_class and instance masks (DESIGN §8). */
export const CLASSES_FILE = 'classes.txt';

/**
 * PNG masks (DESIGN §8): per image one label mask (`aggregated_class`, `instance`) or one binary
 * mask per class or instance present (`individual_class`); per video the same per frame, beside
 * the frames they label. classes.txt is written per shard and concatenated in shard order.
 */
export const masks: Format = {
  id: 'masks',
  label: 'Masks (.png)',
  taskTypes: ['semantic_segmentation', 'instance_segmentation'],
  media: ['image', 'video'],
  maskKinds: {
    semantic_segmentation: ['aggregated_class', 'individual_class'],
    instance_segmentation: ['aggregated_class', 'individual_class', 'instance'],
  },
  render: renderMasks,
  merges: [concatenate(CLASSES_FILE)],
};

async function* renderMasks(input: RenderInput): AsyncIterable<RenderedFile> {
  const kind = input.maskKind;
  if (!kind) throw new ValidationError('the masks format needs a maskKind');
  const context: MaskContext = {
    input,
    kind,
    // Instance segmentation's individual masks are one per instance, so they paint instances too.
    byInstance:
      kind === 'instance' ||
      (kind === 'individual_class' && input.task.type === 'instance_segmentation'),
    classes: maskClasses(input.task),
    lookup: classLookup(input.task),
    blank: blankMasks(),
  };
  const lines: string[] = [];
  for (const item of input.items) {
    if (input.dataset.media === 'video') yield* renderVideo(context, item, lines);
    else yield* renderImage(context, item, lines);
  }
  if (kind !== 'individual_class') yield { path: CLASSES_FILE, body: lines.join('') };
}

interface MaskContext {
  input: RenderInput;
  kind: MaskKind;
  byInstance: boolean;
  classes: Map<number, MaskClass>;
  lookup: ReturnType<typeof classLookup>;
  /** An empty mask of the size; the one before is reused when the size is the same. */
  blank: (width: number, height: number) => LabelMask;
}

/** Images of a dataset mostly share one size: clearing the last mask beats allocating a new one. */
function blankMasks(): (width: number, height: number) => LabelMask {
  let last: LabelMask | null = null;
  return (width, height) => {
    if (last && last.width === width && last.height === height) last.clear();
    else last = new LabelMask(width, height);
    return last;
  };
}

/**
 * What one image, or one whole video, has painted so far: which class each value stands for, and
 * for a video which value each instance was given, so that an object keeps its value from frame
 * to frame.
 */
class Labels {
  readonly classOf = new Map<number, MaskClass>();
  private readonly instanceValues = new Map<string, number>();
  private next = 1;

  constructor(
    private readonly context: MaskContext,
    private readonly item: ExportItem,
    /** Images number every annotation; a video numbers each (class, instance_id) once. */
    private readonly trackInstances: boolean,
  ) {}

  /** Paints one frame's (or the image's) annotations in stored order: a later one covers an earlier one. */
  paint(annotations: Annotation[]): LabelMask {
    const { input, byInstance, classes, lookup, blank } = this.context;
    const mask = blank(this.item.item.width, this.item.item.height);
    for (const annotation of annotations) {
      const where = annotationPlace(this.item, annotation);
      const rings = maskRings(annotation);
      if ('skipped' in rings) {
        input.warn(`${where}: ${rings.skipped}`);
        continue;
      }
      const cls = classes.get(lookup(annotation, where).id)!;
      const key = this.trackInstances ? `${annotation.class_id}:${annotation.instance_id}` : '';
      const known = byInstance ? this.instanceValues.get(key) : undefined;
      const value = byInstance ? (known ?? this.next) : cls.value;
      if (value > MAX_MASK_VALUE) {
        input.warn(`${where}: more than ${MAX_MASK_VALUE} instances; skipped`);
        continue;
      }
      if (mask.paint(rings.rings, value) === 0) {
        const inside = clippedBounds(rings.rings, mask.width, mask.height) !== null;
        input.warn(
          inside
            ? `${where}: annotation covers no pixel centre and was skipped`
            : `${where}: annotation lies outside the image and was skipped`,
        );
        continue;
      }
      this.classOf.set(value, cls);
      if (byInstance && known === undefined) {
        if (this.trackInstances) this.instanceValues.set(key, value);
        this.next++;
      }
    }
    return mask;
  }
}

/** The rings an annotation fills, or why it has none (DESIGN §16: skipped, counted, warned). */
function maskRings(annotation: Annotation): { rings: Rings } | { skipped: string } {
  if (annotation.type === 'Poly' && annotation.is_open) return { skipped: 'open polyline skipped' };
  // The rasteriser clips to the image itself, so the rings are filled unclipped.
  const rings = fillableRings(annotation);
  if (rings === null) return { skipped: 'Tag skipped: masks need a box or polygon' };
  return 'skipped' in rings ? rings : { rings };
}

function* renderImage(
  context: MaskContext,
  item: ExportItem,
  lines: string[],
): Iterable<RenderedFile> {
  const labels = new Labels(context, item, false);
  const mask = labels.paint(item.annotations);
  yield* maskFiles(context, labels, mask, itemStem(item.name));
  if (context.kind !== 'individual_class')
    lines.push(classesEntry(item.name, labels, mask.present()));
}

function* renderVideo(
  context: MaskContext,
  item: ExportItem,
  lines: string[],
): Iterable<RenderedFile> {
  const frames: Array<{ index: number; key?: string; ext?: string }> =
    item.frames.length > 0
      ? item.frames
      : Array.from({ length: item.item.num_frames }, (_, index) => ({ index }));
  const byFrame = new Map<number, Annotation[]>(frames.map((f) => [f.index, []]));
  for (const annotation of item.annotations) {
    const list = byFrame.get(annotation.frame_index);
    if (list) list.push(annotation);
    else {
      context.input.warn(
        `${annotationPlace(item, annotation)}: frame is not in the video; annotation skipped`,
      );
    }
  }
  const labels = new Labels(context, item, true);
  const present = new Set<number>();
  for (const frame of frames) {
    if (frame.key) {
      yield { path: `${item.name}/frames/${frame.index}.${frame.ext}`, source: frame.key };
    }
    const mask = labels.paint(byFrame.get(frame.index)!);
    for (const value of mask.present()) present.add(value);
    yield* maskFiles(context, labels, mask, `${item.name}/masks/${frame.index}`);
  }
  if (context.kind !== 'individual_class') {
    lines.push(
      classesEntry(
        item.name,
        labels,
        [...present].sort((a, b) => a - b),
      ),
    );
  }
}

/** One label mask, or one binary mask per value present, named after `base` (DESIGN §8). */
function* maskFiles(
  context: MaskContext,
  labels: Labels,
  mask: LabelMask,
  base: string,
): Iterable<RenderedFile> {
  const { width, height } = mask;
  if (context.kind !== 'individual_class') {
    yield { path: `${base}.png`, body: encodeGreyPng(mask.pixels, width, height) };
    return;
  }
  for (const value of mask.present()) {
    const cls = labels.classOf.get(value)!;
    // An instance's number is its value in the instance mask, so the two kinds correlate.
    const name = context.byInstance
      ? `${base}__${cls.fileName}__${value}.png`
      : `${base}__${cls.fileName}.png`;
    yield { path: name, body: encodeGreyPng(mask.binary(value), width, height) };
  }
}

/** `file: {name}` and a `value class` line per value present: the reference document's layout. */
function classesEntry(name: string, labels: Labels, values: number[]): string {
  let entry = `file: ${classLine(name)}\n`;
  for (const value of values) entry += `${value} ${classLine(labels.classOf.get(value)!.name)}\n`;
  return entry;
}
