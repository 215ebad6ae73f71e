/**
 * The canonical model of the project store (DESIGN §4). Field names follow the store's JSON
 * exactly so that a parsed line can be written back unchanged.
 */

export const TASK_TYPES = [
  'classification',
  'object_detection',
  'semantic_segmentation',
  'instance_segmentation',
] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const MEDIA_TYPES = ['image', 'video'] as const;
export type Media = (typeof MEDIA_TYPES)[number];

export const ANNOTATION_TYPES = ['Tag', 'Box', 'Poly', 'Mask'] as const;
export type AnnotationType = (typeof ANNOTATION_TYPES)[number];

export const METADATA_TYPES = ['Select', 'List', 'Int', 'Bool', 'String', 'Float'] as const;
export type MetadataType = (typeof METADATA_TYPES)[number];

export type MetadataValue = string | number | boolean | null | MetadataValue[];
export type MetaData = Record<string, MetadataValue>;

export interface MetadataOption {
  value: string;
  display_name?: string;
}

export interface MetadataDefinition {
  name: string;
  display_name: string;
  type: MetadataType;
  required: boolean;
  classes: Array<string | number>;
  helpText: string;
  default: string | number | boolean | null;
  trueText: string;
  min: number | null;
  max: number | null;
  options: MetadataOption[];
}

export interface Project {
  id: string;
  name: string;
  created_at: string;
}

export interface Dataset {
  id: string;
  name: string;
  media: Media;
  item_metadata_definitions: MetadataDefinition[];
}

export interface DatasetItem {
  index: number;
  name: string;
  media_key: string;
  width: number;
  height: number;
  num_frames: number;
  num_channels: number;
  bits_per_channel: number;
  meta_data: MetaData;
  created_at: string;
}

export interface TaskClass {
  id: number;
  name: string;
  parent_id: number | null;
  /** The supercategory a COCO file gave the class, written back as COCO's `supercategory`. */
  supercategory?: string;
}

export interface Task {
  id: string;
  name: string;
  type: TaskType;
  media: Media;
  dataset_ids: string[];
  classes: TaskClass[];
  rotation_enabled: boolean;
  annotation_metadata_definitions: MetadataDefinition[];
}

export interface Point {
  x: number;
  y: number;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Radians, rotating the box about its centre; null when the box is axis-aligned. */
  orientation: number | null;
}

/**
 * A mask as COCO run-length encodes it: `counts` alternate runs of 0s and 1s, starting with 0s,
 * over the pixels in column-major order; `size` is `[height, width]`, the item's size.
 */
export interface MaskGeometry {
  size: [number, number];
  counts: number[];
}

export interface Annotation {
  dataset_item_index: number;
  frame_index: number;
  type: AnnotationType;
  class_id: number;
  instance_id: number;
  box: Box | null;
  poly: Point[][] | null;
  /** The pixels of a `Mask` annotation (brush strokes, COCO RLE, crowd regions). */
  mask?: MaskGeometry | null;
  /** A crowd region (COCO `iscrowd: 1`): one annotation over a group of objects. */
  is_crowd?: boolean;
  is_open: boolean;
  annotators: string;
  meta_data: MetaData;
  created_at: string;
  updated_at: string;
}

/** A polygon made of one or more rings whose union is the object (DESIGN §4). */
export type Rings = Point[][];
