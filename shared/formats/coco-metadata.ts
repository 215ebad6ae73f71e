import { cocoFormat } from './coco';

/** COCO with item and annotation meta_data as `attributes` (DESIGN §7.2). */
export const cocoMetadata = cocoFormat({
  id: 'coco_metadata',
  label: 'COCO + Metadata (.json)',
  attributes: true,
});
