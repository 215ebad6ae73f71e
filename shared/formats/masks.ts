import { ValidationError } from '../errors';
import { clippedBounds, fillableRings, maskSizeProblem } from '../geometry';
import { maskClasses, type MaskClass } from '../masks/classes';
import { LabelMask, MAX_MASK_VALUE } from '../masks/label-mask';
import { encodeGreyPng } from '../masks/png';
import type { Annotation, MaskGeometry, Rings } from '../model/types';
import { classLine, classesByAscendingId, classLookup } from './common/class-list';
import { annotationPlace, itemStem } from './common/items';
import { concatenate, firstPartOnly } from './common/merge';
import type { ExportItem, Format, MaskKind, RenderInput, RenderedFile } from './types';

/** The value-to-class file of aggregated_class and instance masks (DESIGN §8). */
export const CLASSES_FILE = 'classes.txt';
/** One value→class and colour map for the whole export, beside classes.txt (README, masks). */
export const LABELMAP_FILE = 'labelmap.txt';

/**
 * PNG masks (DESIGN §8): per image one label mask (`aggregated_class`, `instance`) or one binary
 * mask per class or instance present (`individual_class`); per video the same per frame, beside
 * the frames they label. classes.txt is written per shard and concatenated in shard order.
 */
export const masks: Format = {
  id: 'masks',
  version: '1.0',
  label: 'Masks (.png)',
  taskTypes: ['semantic_segmentation', 'instance_segmentation'],
  media: ['image', 'video'],
  maskKinds: {
    semantic_segmentation: ['aggregated_class', 'individual_class'],
    instance_segmentation: ['aggregated_class', 'individual_class', 'instance'],
  },
  render: renderMasks,
  merges: [concatenate(CLASSES_FILE), firstPartOnly(LABELMAP_FILE)],
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
  if (kind !== 'individual_class') {
    yield { path: CLASSES_FILE, body: lines.join('') };
    yield { path: LABELMAP_FILE, body: labelmap(input, kind) };
  }
}

/**
 * A class's colour: the Pascal VOC palette entry of its id (the bits of the id spread over the
 * three channels), so that a class keeps its colour in every export of the task.
 */
export function classColour(id: number): [number, number, number] {
  const colour: [number, number, number] = [0, 0, 0];
  let rest = id;
  for (let shift = 7; rest > 0 && shift >= 0; shift--) {
    for (let channel = 0; channel < 3; channel++)
      colour[channel]! |= ((rest >> channel) & 1) << shift;
    rest >>= 3;
  }
  return colour;
}

/**
 * labelmap.txt in the layout CVAT's and Datumaro's mask formats read (`name:r,g,b:parts:actions`,
 * `#` lines skipped): the background, then every class of the task by ascending id, so that the
 * line after the comments numbered N is the class of value N in aggregated_class masks. Instance
 * masks hold instance numbers instead (classes.txt maps them per image); their labelmap gives the
 * classes and colours.
 */
export function labelmap(input: Pick<RenderInput, 'task'>, kind: MaskKind): string {
  const field = (name: string) => classLine(name).replace(/:/g, '_');
  const lines = [
    '# label:color_rgb:parts:actions',
    kind === 'aggregated_class'
      ? '# value N of a mask is the class on line N below (0: background)'
      : '# mask values are instance numbers: classes.txt maps them to these classes per image',
    'background:0,0,0::',
    ...classesByAscendingId(input.task).map(
      (c) => `${field(c.name)}:${classColour(c.id).join(',')}::`,
    ),
  ];
  return lines.join('\n') + '\n';
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
    const mask = this.context.blank(this.item.item.width, this.item.item.height);
    for (const annotation of annotations) {
      const shape = this.shapeOf(annotation);
      if (!shape) continue;
      const value = this.valueOf(annotation, shape.key);
      if (value === null) continue;
      if (this.painted(mask.paint(shape.shape, value), shape, mask)) {
        this.assign(value, shape);
      }
    }
    return mask;
  }

  /**
   * Each instance's own whole mask (individual_class of instance segmentation): the instances are
   * numbered as the instance mask numbers them, but none covers another. Annotations of one
   * tracked instance in a frame share its mask.
   */
  *paintInstances(annotations: Annotation[]): Iterable<{ value: number; mask: LabelMask }> {
    const groups = new Map<string, Array<{ annotation: Annotation; shape: PaintShape }>>();
    // Images number every annotation: each is a group of its own.
    annotations.forEach((annotation, n) => {
      const shape = this.shapeOf(annotation);
      if (!shape) return;
      const key = shape.key || `#${n}`;
      const group = groups.get(key);
      if (group) group.push({ annotation, shape });
      else groups.set(key, [{ annotation, shape }]);
    });
    for (const group of groups.values()) {
      const first = group[0]!;
      const value = this.valueOf(first.annotation, first.shape.key);
      if (value === null) continue;
      const mask = this.context.blank(this.item.item.width, this.item.item.height);
      let covered = false;
      for (const { shape } of group) {
        if (this.painted(mask.paint(shape.shape, value), shape, mask)) covered = true;
      }
      if (!covered) continue;
      this.assign(value, first.shape);
      yield { value, mask };
    }
  }

  /** What an annotation paints, its class and its instance key, or null (warned) when nothing. */
  private shapeOf(annotation: Annotation): PaintShape | null {
    const { input, classes, lookup } = this.context;
    const where = annotationPlace(this.item, annotation);
    const shape = paintShape(annotation, this.item.item.width, this.item.item.height);
    if ('skipped' in shape) {
      input.warn(`${where}: ${shape.skipped}`);
      return null;
    }
    const cls = classes.get(lookup(annotation, where).id)!;
    const key = this.trackInstances ? `${annotation.class_id}:${annotation.instance_id}` : '';
    return { shape: shape.shape, rings: shape.rings, cls, key, where };
  }

  /** The value an annotation paints with, or null (warned) past the largest value. */
  private valueOf(annotation: Annotation, key: string): number | null {
    const { byInstance, classes, lookup } = this.context;
    if (!byInstance)
      return classes.get(lookup(annotation, annotationPlace(this.item, annotation)).id)!.value;
    const value = this.instanceValues.get(key) ?? this.next;
    if (value > MAX_MASK_VALUE) {
      this.context.input.warn(
        `${annotationPlace(this.item, annotation)}: more than ${MAX_MASK_VALUE} instances; skipped`,
      );
      return null;
    }
    return value;
  }

  /** Whether painting covered a pixel; warns when it did not. */
  private painted(covered: number, shape: PaintShape, mask: LabelMask): boolean {
    if (covered > 0) return true;
    const inside = clippedBounds(shape.rings, mask.width, mask.height) !== null;
    this.context.input.warn(
      inside
        ? `${shape.where}: annotation covers no pixel centre and was skipped`
        : `${shape.where}: annotation lies outside the image and was skipped`,
    );
    return false;
  }

  /** Records what a painted value stands for; a new instance takes the next number. */
  private assign(value: number, shape: PaintShape): void {
    this.classOf.set(value, shape.cls);
    if (this.context.byInstance && !this.instanceValues.has(shape.key) && value === this.next) {
      if (this.trackInstances) this.instanceValues.set(shape.key, value);
      this.next++;
    }
  }
}

interface PaintShape {
  /** Rings to fill, or a mask's exact pixels. */
  shape: Rings | MaskGeometry;
  /** The rings (a mask's outlines) for telling "outside the image" from "no pixel centre". */
  rings: Rings;
  cls: MaskClass;
  key: string;
  where: string;
}

/** What an annotation paints: rings, or a mask's pixels exactly; or why nothing. */
function paintShape(
  annotation: Annotation,
  width: number,
  height: number,
): { shape: Rings | MaskGeometry; rings: Rings } | { skipped: string } {
  const sizeProblem = maskSizeProblem(annotation, width, height);
  if (sizeProblem) return { skipped: sizeProblem };
  const rings = maskRings(annotation);
  if ('skipped' in rings) return rings;
  if (annotation.type === 'Mask' && annotation.mask)
    return { shape: annotation.mask, rings: rings.rings };
  return { shape: rings.rings, rings: rings.rings };
}

/** The rings an annotation fills, or why it has none (DESIGN §16: skipped, counted, warned). */
function maskRings(annotation: Annotation): { rings: Rings } | { skipped: string } {
  if (annotation.type === 'Poly' && annotation.is_open) return { skipped: 'open polyline skipped' };
  // The rasteriser clips to the image itself, so the rings are filled unclipped.
  const rings = fillableRings(annotation);
  if (rings === null) return { skipped: 'Tag skipped: masks need a box, polygon or mask' };
  return 'skipped' in rings ? rings : { rings };
}

function* renderImage(
  context: MaskContext,
  item: ExportItem,
  lines: string[],
): Iterable<RenderedFile> {
  const labels = new Labels(context, item, false);
  const present = new Set<number>();
  yield* frameFiles(context, labels, item.annotations, itemStem(item.name), present);
  if (context.kind !== 'individual_class')
    lines.push(
      classesEntry(
        item.name,
        labels,
        [...present].sort((a, b) => a - b),
      ),
    );
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
    yield* frameFiles(
      context,
      labels,
      byFrame.get(frame.index)!,
      `${item.name}/masks/${frame.index}`,
      present,
    );
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

/**
 * The mask files of an image or frame, named after `base` (DESIGN §8): the composite label mask,
 * one binary mask per class present, or (instance segmentation) each instance's whole mask.
 * The values left in a composite mask are added to `present`.
 */
function* frameFiles(
  context: MaskContext,
  labels: Labels,
  annotations: Annotation[],
  base: string,
  present: Set<number>,
): Iterable<RenderedFile> {
  if (context.kind === 'individual_class' && context.byInstance) {
    for (const { value, mask } of labels.paintInstances(annotations)) {
      const cls = labels.classOf.get(value)!;
      // An instance's number is its value in the instance mask, so the two kinds correlate.
      yield {
        path: `${base}__${cls.fileName}__${value}.png`,
        body: encodeGreyPng(mask.binary(value), mask.width, mask.height),
      };
    }
    return;
  }
  const mask = labels.paint(annotations);
  for (const value of mask.present()) present.add(value);
  const { width, height } = mask;
  if (context.kind !== 'individual_class') {
    yield { path: `${base}.png`, body: encodeGreyPng(mask.pixels, width, height) };
    return;
  }
  for (const value of mask.present()) {
    const cls = labels.classOf.get(value)!;
    yield {
      path: `${base}__${cls.fileName}.png`,
      body: encodeGreyPng(mask.binary(value), width, height),
    };
  }
}

/** `file: {name}` and a `value class` line per value present: the reference document's layout. */
function classesEntry(name: string, labels: Labels, values: number[]): string {
  let entry = `file: ${classLine(name)}\n`;
  for (const value of values) entry += `${value} ${classLine(labels.classOf.get(value)!.name)}\n`;
  return entry;
}
