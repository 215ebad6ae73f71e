import type { Annotation, DatasetItem, MetaData } from '../model/types';
import { classesByAscendingId } from './common/class-list';
import { firstPartOnly, jsonArrayConcatenation } from './common/merge';
import type { ExportItem, Format, RenderInput, RenderedFile } from './types';

export const CLASSES_FILE = 'classes.json';
export const ANNOTATIONS_FILE = 'annotations.json';
export const ANNOTATION_METADATA_DEFINITIONS_FILE = 'annotation_metadata_definitions.json';
export const DATASET_ITEMS_FILE = 'dataset_items.json';
export const DATASET_ITEM_METADATA_DEFINITIONS_FILE = 'dataset_item_metadata_definitions.json';

/** An annotation as the reference document lists it: the store's fields without its timestamps. */
export type InnotescusAnnotation = Omit<Annotation, 'created_at' | 'updated_at'>;

export interface InnotescusDatasetItem extends Pick<
  DatasetItem,
  'index' | 'name' | 'num_frames' | 'width' | 'height' | 'num_channels' | 'bits_per_channel'
> {
  url: string;
  meta_data: MetaData;
}

/**
 * The platform's own format keeps every annotation as stored, geometry outside the image and
 * degenerate shapes included: it is the lossless export that can be imported again.
 */
export function toInnotescusAnnotation(annotation: Annotation): InnotescusAnnotation {
  return {
    dataset_item_index: annotation.dataset_item_index,
    frame_index: annotation.frame_index,
    type: annotation.type,
    class_id: annotation.class_id,
    instance_id: annotation.instance_id,
    box: annotation.box,
    poly: annotation.poly,
    // Masks and crowd flags only where the store has them, so that other files stay as they were.
    ...(annotation.mask ? { mask: annotation.mask } : {}),
    ...(annotation.is_crowd ? { is_crowd: true } : {}),
    is_open: annotation.is_open,
    annotators: annotation.annotators,
    meta_data: annotation.meta_data,
  };
}

/** `name` is the item's safe name, the one its media has in the archive. */
export function toInnotescusDatasetItem(item: ExportItem): InnotescusDatasetItem {
  return {
    index: item.item.index,
    name: item.name,
    num_frames: item.item.num_frames,
    width: item.item.width,
    height: item.item.height,
    url: item.url,
    num_channels: item.item.num_channels,
    bits_per_channel: item.item.bits_per_channel,
    meta_data: item.item.meta_data,
  };
}

async function* renderInnotescus(input: RenderInput): AsyncIterable<RenderedFile> {
  const classes = classesByAscendingId(input.task).map((c) => ({
    id: c.id,
    name: c.name,
    parent_id: c.parent_id,
  }));
  yield { path: CLASSES_FILE, body: JSON.stringify(classes) };
  const annotations = input.items.flatMap((item) => item.annotations.map(toInnotescusAnnotation));
  yield { path: ANNOTATIONS_FILE, body: JSON.stringify(annotations) };
  yield {
    path: ANNOTATION_METADATA_DEFINITIONS_FILE,
    body: JSON.stringify(input.task.annotation_metadata_definitions),
  };
  yield {
    path: DATASET_ITEMS_FILE,
    body: JSON.stringify(input.items.map(toInnotescusDatasetItem)),
  };
  yield {
    path: DATASET_ITEM_METADATA_DEFINITIONS_FILE,
    body: JSON.stringify({ fields: input.dataset.item_metadata_definitions }),
  };
}

export const innotescusJson: Format = {
  id: 'innotescus_json',
  version: '1.0',
  label: 'Innotescus (.json)',
  taskTypes: [
    'classification',
    'object_detection',
    'semantic_segmentation',
    'instance_segmentation',
  ],
  media: ['image', 'video'],
  render: renderInnotescus,
  merges: [
    firstPartOnly(CLASSES_FILE),
    jsonArrayConcatenation(ANNOTATIONS_FILE),
    firstPartOnly(ANNOTATION_METADATA_DEFINITIONS_FILE),
    jsonArrayConcatenation(DATASET_ITEMS_FILE),
    firstPartOnly(DATASET_ITEM_METADATA_DEFINITIONS_FILE),
  ],
};
