/**
 * Test data builders: a valid task, dataset item or annotation with plain defaults, and the
 * fields a test is about given as overrides.
 */
import type { Annotation, Box, DatasetItem, Point, Rings, Task } from '../../shared/model/types';

const CREATED = '2024-01-01T00:00:00.000Z';

export function aTask(fields: Partial<Task> = {}): Task {
  return {
    id: 't1',
    name: 'task',
    type: 'object_detection',
    media: 'image',
    dataset_ids: ['d1'],
    classes: [{ id: 1, name: 'car', parent_id: null }],
    rotation_enabled: false,
    annotation_metadata_definitions: [],
    ...fields,
  };
}

/** An image of 64x48, three channels; its media key is its name unless given. */
export function anItem(fields: Partial<DatasetItem> = {}): DatasetItem {
  const name = fields.name ?? 'image.png';
  return {
    index: 0,
    name,
    media_key: name,
    width: 64,
    height: 48,
    num_frames: 1,
    num_channels: 3,
    bits_per_channel: 8,
    meta_data: {},
    created_at: CREATED,
    ...fields,
  };
}

/** An annotation of the first item's first frame; a Box of class 1 without geometry unless given. */
export function anAnnotation(fields: Partial<Annotation> = {}): Annotation {
  return {
    dataset_item_index: 0,
    frame_index: 0,
    type: 'Box',
    class_id: 1,
    instance_id: 1,
    box: null,
    poly: null,
    is_open: false,
    annotators: '',
    meta_data: {},
    created_at: CREATED,
    updated_at: CREATED,
    ...fields,
  };
}

/** A Box annotation; not rotated unless the box says so. */
export function aBox(
  box: Pick<Box, 'x' | 'y' | 'w' | 'h'> & Partial<Box>,
  fields: Partial<Annotation> = {},
): Annotation {
  return anAnnotation({ type: 'Box', box: { orientation: null, ...box }, ...fields });
}

export function aPolygon(poly: Rings, fields: Partial<Annotation> = {}): Annotation {
  return anAnnotation({ type: 'Poly', poly, ...fields });
}

/** The ring of the axis-aligned rectangle from (x0, y0) to (x1, y1), clockwise on screen. */
export function aRectangle(x0: number, y0: number, x1: number, y1: number): Point[] {
  return [
    { x: x0, y: y0 },
    { x: x1, y: y0 },
    { x: x1, y: y1 },
    { x: x0, y: y1 },
  ];
}
