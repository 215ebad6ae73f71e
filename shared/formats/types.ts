import type { Annotation, Dataset, DatasetItem, Media, Task, TaskType } from '../model/types';

export const MASK_KINDS = ['aggregated_class', 'individual_class', 'instance'] as const;
export type MaskKind = (typeof MASK_KINDS)[number];

/** The task types whose annotations have geometry: what the box and polygon formats serve. */
export const GEOMETRY_TASK_TYPES = [
  'object_detection',
  'semantic_segmentation',
  'instance_segmentation',
] as const satisfies readonly TaskType[];

/** One item of a shard as a renderer sees it: the stored item, its safe unique name, its annotations. */
export interface ExportItem {
  item: DatasetItem;
  /** The item's name made safe for every file system and unique in its dataset (DESIGN §7). */
  name: string;
  /** Annotations of the task on this item in stored order (later ones paint over earlier ones). */
  annotations: Annotation[];
  /**
   * Where the item's media is: its path inside the archive when datasets are exported
   * (`datasets/{dataset}/{name}`), else `s3://bucket/key` of the source.
   */
  url: string;
  /** Store key of the item's media (an image, or a video's folder of frames ending in `/`). */
  mediaKey: string;
  /** For a video: its frame files in frame order, as keys under the store. Empty for images. */
  frames: Array<{ index: number; key: string; ext: string }>;
}

export interface RenderInput {
  /** The export's name: COCO's info.description. */
  exportName: string;
  /** ISO-8601 creation time of the export: the only clock a renderer may read. */
  createdAt: string;
  task: Task;
  dataset: Dataset;
  /** The dataset's folder name in the archive (its name made safe, DESIGN §7); else dataset.name. */
  datasetFolder?: string;
  items: ExportItem[];
  /** The subset these items belong to, or null without a split. */
  subset?: string | null;
  /**
   * The export's subsets that hold items, in the request's order (null without a split): what
   * trainer configuration files (data.yaml, obj.data) point at.
   */
  subsets?: string[] | null;
  maskKind?: MaskKind;
  /** Reports a skipped or altered annotation; package lists these in the manifest (DESIGN §16). */
  warn(message: string): void;
}

/**
 * A file a renderer produces, relative to `annotations/{dataset}/`: either its bytes, or a source
 * object of the store that package copies in (video frames beside their masks).
 */
export type RenderedFile = (
  { path: string; body: string | Uint8Array } | { path: string; source: string }
) & {
  /** The path is relative to the archive root, not to `annotations/{dataset}/` (trainer layouts). */
  root?: boolean;
};

/** A part written by one shard for a file that package merges across shards. */
export interface Part {
  shard: number;
  body: string;
}

export interface FormatContext {
  exportName: string;
  createdAt: string;
  task: Task;
  dataset: Dataset;
}

/**
 * How a per-dataset file written by several shards becomes one file. `merge` receives the parts in
 * shard order; each part is bounded by a shard's size, the output streams.
 */
export interface MergeRule {
  /** The rule merges files rendered with `root` (paths relative to the archive root). */
  root?: boolean;
  /** Whether a rendered path (relative to the dataset folder, or the root) is merged by this rule. */
  matches(path: string): boolean;
  /** `parts()` iterates the parts from the first again each time it is called (a merge may need two passes). */
  merge(
    parts: () => AsyncIterable<Part>,
    context: FormatContext,
  ): AsyncIterable<string | Uint8Array>;
}

export interface Format {
  id: string;
  /**
   * The version of the layout the format is written in, `major.minor`, which manifest.json names
   * beside the format: the major changes when a reader of the previous layout would misread the
   * new one, the minor when files or fields are added that such a reader passes over.
   */
  version: string;
  /** What the export form shows. */
  label: string;
  /** The task types it applies to (DESIGN §6). */
  taskTypes: readonly TaskType[];
  /** Media it applies to. */
  media: readonly Media[];
  /** For masks only: which mask kinds each task type allows. */
  maskKinds?: Partial<Record<TaskType, readonly MaskKind[]>>;
  /**
   * Archive path of an item's image when datasets are exported; default
   * `{subset}/datasets/{dataset}/{item}` (DESIGN §7). Trainer layouts put images elsewhere.
   */
  mediaPath?(subset: string | null, datasetFolder: string, itemName: string): string;
  /**
   * Whether the format writes paths into whitespace-separated text (YOLO Keras lines, Darknet
   * image lists): then dataset folders and item names get no whitespace in the whole archive.
   */
  whitespaceFreePaths?: boolean;
  render(input: RenderInput): AsyncIterable<RenderedFile>;
  /** Files written once per dataset; every other path must be unique across shards. */
  merges: readonly MergeRule[];
}
