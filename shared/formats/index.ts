import { ValidationError } from '../errors';
import type { Media, TaskType } from '../model/types';
import { coco, cocoMetadata } from './coco';
import { csv } from './csv';
import { innotescusJson } from './innotescus-json';
import { kitti } from './kitti';
import { masks } from './masks';
import { pascalVoc } from './pascal-voc';
import { yoloDarknet } from './yolo-darknet';
import { yoloKeras } from './yolo-keras';
import { yoloUltralytics } from './yolo-ultralytics';
import type { Format, MaskKind } from './types';

/**
 * The one list of formats. It drives request validation, `GET /formats` and the demo; a test
 * checks it against DESIGN §6.
 */
export const FORMATS: readonly Format[] = [
  coco,
  cocoMetadata,
  csv,
  innotescusJson,
  masks,
  pascalVoc,
  yoloDarknet,
  yoloKeras,
  yoloUltralytics,
  kitti,
];

export const FORMAT_IDS: readonly string[] = FORMATS.map((f) => f.id);

export function findFormat(id: string): Format | undefined {
  return FORMATS.find((f) => f.id === id);
}

/** The formats a task type and media allow. */
export function allowedFormats(taskType: TaskType, media: Media): Format[] {
  return FORMATS.filter((f) => f.taskTypes.includes(taskType) && f.media.includes(media));
}

/**
 * The format for a request, or a ValidationError naming the format and the task type (and media)
 * and listing what is allowed (DESIGN §5).
 */
export function formatFor(
  id: string,
  taskType: TaskType,
  media: Media,
  maskKind?: MaskKind,
): Format {
  const format = findFormat(id);
  if (!format) {
    throw new ValidationError(`format "${id}" is unknown; formats: ${FORMAT_IDS.join(', ')}`);
  }
  const allowed = allowedFormats(taskType, media);
  if (!allowed.includes(format)) {
    const what = media === 'video' ? `${taskType} video tasks` : `${taskType} tasks`;
    const list = allowed.map((f) => f.id).join(', ') || 'none';
    throw new ValidationError(
      `format "${id}" is not available for ${what}; allowed formats: ${list}`,
    );
  }
  if (format.maskKinds) {
    const kinds = format.maskKinds[taskType] ?? [];
    if (!maskKind || !kinds.includes(maskKind)) {
      throw new ValidationError(
        `maskKind "${maskKind ?? ''}" is not available for ${id} on ${taskType} tasks; allowed mask kinds: ${kinds.join(', ')}`,
      );
    }
  } else if (maskKind) {
    throw new ValidationError(`maskKind is only allowed with the masks format, not with "${id}"`);
  }
  return format;
}

/** DESIGN §6's table as `GET /formats` serves it. */
export function formatTable() {
  return FORMATS.map((f) => ({
    id: f.id,
    label: f.label,
    taskTypes: f.taskTypes,
    media: f.media,
    ...(f.maskKinds ? { maskKinds: f.maskKinds } : {}),
  }));
}
