import { clamp, truncation, type Bounds } from '../geometry';
import { itemStem, placedObjects } from './common/items';
import { concatenate } from './common/merge';
import { subsetName } from './common/trainer-splits';
import type { ExportItem, Format, RenderInput, RenderedFile } from './types';

export const VOC_EXTENSION = '.xml';
/** VOC's subset lists, which Datumaro's and torchvision's VOC readers find the images by. */
const IMAGE_SETS = /^ImageSets\/Main\/[a-z0-9_-]{1,32}\.txt$/;

/** `ImageSets/Main/{subset}.txt`, `train.txt` without a split (README, trainer layouts). */
export function imageSetPath(subset: string | null | undefined): string {
  return `ImageSets/Main/${subsetName(subset)}.txt`;
}
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
/** The reference document's constant fields of an object. */
const POSE = 'N/A';
const DIFFICULT = 0;
const SEGMENTED = 0;

/** VOC's 1-based inclusive pixel box. */
export interface VocBox {
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

/**
 * DESIGN §7.6: `xmin = round(x)+1`, `xmax = round(x+w)`, both within [1, width] (y alike), from
 * the geometry's tight box already clipped to the image. A box thinner than a pixel keeps
 * `xmax >= xmin` so that it stays a valid one-pixel box.
 */
export function toVocBox(bounds: Bounds, width: number, height: number): VocBox {
  const xmin = clamp(Math.round(bounds.xMin) + 1, 1, width);
  const ymin = clamp(Math.round(bounds.yMin) + 1, 1, height);
  const xmax = Math.max(xmin, clamp(Math.round(bounds.xMax), 1, width));
  const ymax = Math.max(ymin, clamp(Math.round(bounds.yMax), 1, height));
  return { xmin, ymin, xmax, ymax };
}

/**
 * Text safe inside an XML element or attribute: the five markup characters escaped, and the
 * control characters XML 1.0 cannot carry at all dropped.
 */
export function xmlEscape(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

function vocDocument(input: RenderInput, item: ExportItem): string {
  const { width, height, num_channels: depth } = item.item;
  const lines = [
    XML_DECLARATION,
    '<annotation>',
    '  <folder />',
    `  <filename>${xmlEscape(item.name)}</filename>`,
    '  <source>',
    `    <database>${xmlEscape(input.dataset.name)}</database>`,
    '  </source>',
    '  <size>',
    `    <width>${width}</width>`,
    `    <height>${height}</height>`,
    `    <depth>${depth}</depth>`,
    '  </size>',
    `  <segmented>${SEGMENTED}</segmented>`,
  ];
  for (const { placed, cls } of placedObjects(input, item)) {
    const box = toVocBox(placed.bounds, width, height);
    const truncated = truncation(placed.rings, width, height) > 0 ? 1 : 0;
    lines.push(
      '  <object>',
      `    <name>${xmlEscape(cls.name)}</name>`,
      `    <pose>${POSE}</pose>`,
      `    <truncated>${truncated}</truncated>`,
      `    <difficult>${DIFFICULT}</difficult>`,
      '    <bndbox>',
      `      <xmin>${box.xmin}</xmin>`,
      `      <ymin>${box.ymin}</ymin>`,
      `      <xmax>${box.xmax}</xmax>`,
      `      <ymax>${box.ymax}</ymax>`,
      '    </bndbox>',
      '  </object>',
    );
  }
  lines.push('</annotation>', '');
  return lines.join('\n');
}

async function* renderVoc(input: RenderInput): AsyncIterable<RenderedFile> {
  const stems: string[] = [];
  for (const item of input.items) {
    yield { path: itemStem(item.name) + VOC_EXTENSION, body: vocDocument(input, item) };
    stems.push(itemStem(item.name) + '\n');
  }
  yield { path: imageSetPath(input.subset), body: stems.join('') };
}

export const pascalVoc: Format = {
  id: 'pascal_voc',
  version: '1.0',
  label: 'Pascal VOC (.xml)',
  taskTypes: ['object_detection'],
  media: ['image'],
  render: renderVoc,
  merges: [concatenate(IMAGE_SETS)],
};
