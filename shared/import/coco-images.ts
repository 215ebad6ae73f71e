/** The images of a COCO file: each found in the image folder and made a dataset item. */
import { MAX_IMAGE_SIDE } from '../model/validate';
import type { DatasetItem } from '../model/types';
import { mediaKeyProblem } from '../store/segments';
import {
  idKey,
  isId,
  isObject,
  metadataOf,
  tallyFields,
  type CocoObject,
  type ImportNotes,
} from './coco-fields';

/** Image bytes by COCO `file_name`; undefined when the file is not there. */
export type ImageSource = (fileName: string) => Promise<Uint8Array | undefined>;

/** The dataset's items in file order, its media, and the item of each image id (by idKey). */
export interface ParsedImages {
  items: DatasetItem[];
  itemOf: Map<string, DatasetItem>;
  media: Array<{ key: string; bytes: Uint8Array }>;
}

/**
 * Images as items, in file order, each with its bytes from the image folder; an image that cannot
 * be one (no id, no file, no size, a name that repeats) is a problem.
 */
export async function parseImages(
  images: unknown[],
  readImage: ImageSource,
  createdAt: string,
  notes: ImportNotes,
): Promise<ParsedImages> {
  const parsed: ParsedImages = { items: [], itemOf: new Map(), media: [] };
  const names = new Set<string>();
  for (const [index, image] of images.entries()) {
    const where = `images[${index}]`;
    if (!isObject(image)) {
      notes.problems.push(`${where} is not an object`);
      continue;
    }
    tallyFields(image, 'image', notes.tally, 'images');
    if (!isId(image.id)) notes.problems.push(`${where}.id is missing`);
    else if (parsed.itemOf.has(idKey(image.id)))
      notes.problems.push(`${where}.id ${image.id} repeats an earlier image`);
    const found = await findImageFile(image, where, readImage, notes);
    if (!found) continue;
    if (names.has(found.name)) notes.problems.push(`${where}.file_name ${found.name} repeats`);
    names.add(found.name);
    const item = imageItem(image, index, found, createdAt, where, notes);
    if (!item) continue;
    parsed.items.push(item);
    if (isId(image.id)) parsed.itemOf.set(idKey(image.id), item);
    parsed.media.push({ key: item.media_key, bytes: found.bytes });
  }
  return parsed;
}

/** The file of an image, or null with the problem noted. */
async function findImageFile(
  image: CocoObject,
  where: string,
  readImage: ImageSource,
  notes: ImportNotes,
): Promise<{ name: string; bytes: Uint8Array } | null> {
  if (typeof image.file_name !== 'string' || image.file_name === '') {
    notes.problems.push(`${where}.file_name is missing`);
    return null;
  }
  const found = await locateImage(image.file_name, readImage);
  if (!found) {
    // The file name is the item's media key: a relative path under media/ of safe segments.
    const fileProblem = mediaKeyProblem(image.file_name);
    notes.problems.push(
      fileProblem || image.file_name.endsWith('/')
        ? `${where}.file_name ${JSON.stringify(image.file_name)} is not a relative path inside the image folder: it ${fileProblem ?? 'ends with "/"'}`
        : `${where}: image file ${image.file_name} is not in the image folder`,
    );
    return null;
  }
  if (found.name !== image.file_name)
    notes.tally.add(
      'file names found under another path of the image folder',
      `${image.file_name} as ${found.name}`,
    );
  return found;
}

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/**
 * The item of an image whose file was found: its size as the file says (or as the image header
 * says when the file does not), its channels and depth from the header; null with the problem
 * noted when it has no size or too large a one.
 */
function imageItem(
  image: CocoObject,
  index: number,
  file: { name: string; bytes: Uint8Array },
  createdAt: string,
  where: string,
  notes: ImportNotes,
): DatasetItem | null {
  const format = imageFormat(file.bytes);
  const width = positive(image.width) ? image.width : format.width;
  const height = positive(image.height) ? image.height : format.height;
  if (!positive(width) || !positive(height)) {
    notes.problems.push(
      `${where} (${file.name}) has no positive width and height, nor an image header that gives them`,
    );
    return null;
  }
  if (Math.max(width, height) > MAX_IMAGE_SIDE) {
    notes.problems.push(
      `${where} (${String(image.file_name)}) is ${width} x ${height}: an image may have at most ${MAX_IMAGE_SIDE} pixels a side`,
    );
    return null;
  }
  if (!positive(image.width) || !positive(image.height))
    notes.tally.add('images without width and height, read from the image file', file.name);
  return {
    index,
    name: file.name,
    media_key: file.name,
    width,
    height,
    num_frames: 1,
    num_channels: format.channels,
    bits_per_channel: format.bits,
    meta_data: metadataOf(image, notes.tally, where),
    created_at: createdAt,
  };
}

/**
 * Channels and bits per channel from a PNG or JPEG header (3 × 8 when the header says nothing),
 * and the pixel size when the header gives it.
 */
export function imageFormat(bytes: Uint8Array): {
  channels: number;
  bits: number;
  width?: number;
  height?: number;
} {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 26 && png.every((b, i) => bytes[i] === b)) {
    const depth = bytes[24]!;
    const channels = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 }[bytes[25]!] ?? 3;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return {
      channels,
      bits: bytes[25] === 3 ? 8 : depth,
      width: view.getUint32(16),
      height: view.getUint32(20),
    };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    let at = 2;
    while (at + 9 < bytes.length && bytes[at] === 0xff) {
      const marker = bytes[at + 1]!;
      const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
      const isFrame =
        marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isFrame)
        return {
          channels: bytes[at + 9]!,
          bits: bytes[at + 4]!,
          height: (bytes[at + 5]! << 8) | bytes[at + 6]!,
          width: (bytes[at + 7]! << 8) | bytes[at + 8]!,
        };
      at += 2 + length;
    }
  }
  return { channels: 3, bits: 8 };
}

export function contentTypeOf(fileName: string): string {
  const ext = fileName.toLowerCase().split('.').pop();
  return (
    {
      png: 'image/png',
      jpg: 'image/jpeg',
      jpeg: 'image/jpeg',
      webp: 'image/webp',
      bmp: 'image/bmp',
      tif: 'image/tiff',
      tiff: 'image/tiff',
    }[ext ?? ''] ?? 'application/octet-stream'
  );
}

/**
 * An image by its COCO file_name: as written when that is a relative path of the folder; else
 * (Windows separators, absolute paths or paths of the machine that wrote the file) the longest
 * tail of the path that the folder holds: `C:\data\batch_1\x.jpg` is found as `batch_1/x.jpg`.
 */
async function locateImage(
  fileName: string,
  readImage: ImageSource,
): Promise<{ name: string; bytes: Uint8Array } | null> {
  const segments = fileName
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s !== '' && s !== '.' && !/^[A-Za-z]:$/.test(s));
  const lastParent = segments.lastIndexOf('..');
  const tails = segments.slice(lastParent + 1).map((_, i, rest) => rest.slice(i).join('/'));
  // Only names that can be media keys (relative paths of safe segments) are looked for.
  for (const name of new Set([fileName, ...tails])) {
    if (name.endsWith('/') || mediaKeyProblem(name)) continue;
    const bytes = await readImage(name);
    if (bytes) return { name, bytes };
  }
  return null;
}
