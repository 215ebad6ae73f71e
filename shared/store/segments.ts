import { ValidationError } from '../errors';
import { invisibleCharacter } from '../names';

/**
 * The rules for every string that becomes part of an S3 key (DESIGN §15). S3 takes a key
 * literally, but the local S3 server maps keys to files and resolves `..`, and a `/` in an id moves
 * the key into another folder: an id is one segment, checked before any key is built from it.
 */

/** Longest segment in UTF-8 bytes: a file name on the local S3 server's file system. */
export const MAX_SEGMENT_BYTES = 255;
/** Longest media key in UTF-8 bytes, leaving room in S3's 1,024-byte keys for the prefix. */
export const MAX_MEDIA_KEY_BYTES = 512;
/** `project:` + the id is a Cognito group name, and those are at most 128 characters. */
export const MAX_PROJECT_ID_LENGTH = 128 - 'project:'.length;

const describeCharacter = (c: string) =>
  `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why `value` is not a safe key segment, or undefined when it is one. */
export function segmentProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'is not a string';
  if (value.length === 0) return 'is empty';
  if (value === '.') return 'is "."';
  if (value.includes('..')) return 'contains ".."';
  if (value.includes('/')) return 'contains "/"';
  if (value.includes('\\')) return 'contains "\\"';
  // Control and invisible characters, as names may not hold them (see invisibleCharacter).
  const invisible = invisibleCharacter(value);
  if (invisible) return `contains the control or invisible character ${invisible}`;
  if (Buffer.byteLength(value, 'utf8') > MAX_SEGMENT_BYTES)
    return `is longer than ${MAX_SEGMENT_BYTES} bytes`;
  return undefined;
}

/**
 * Why `value` is not a media key, or undefined when it is one. A media key is a relative POSIX
 * path under the dataset's `media/` folder: safe segments joined by single `/`, no leading `/`,
 * and a trailing `/` only to name a folder (a video's frames).
 */
export function mediaKeyProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'is not a string';
  if (value.length === 0) return 'is empty';
  if (value.startsWith('/')) return 'starts with "/" (it must be relative to media/)';
  if (Buffer.byteLength(value, 'utf8') > MAX_MEDIA_KEY_BYTES)
    return `is longer than ${MAX_MEDIA_KEY_BYTES} bytes`;
  const parts = (value.endsWith('/') ? value.slice(0, -1) : value).split('/');
  for (const part of parts) {
    if (part === '') return 'has an empty path segment ("//")';
    const problem = segmentProblem(part);
    if (problem) return `has a segment that ${problem}`;
  }
  return undefined;
}

/**
 * Characters a project id may not hold besides the unsafe ones: whatever cannot be part of a
 * Cognito group name (`[\p{L}\p{M}\p{S}\p{N}\p{P}]+`, so no whitespace) and whatever would make
 * `project:{id}` ambiguous in a `cognito:groups` claim (commas, quotes, brackets).
 */
const NOT_IN_PROJECT_ID = /[^\p{L}\p{M}\p{S}\p{N}\p{P}]|[,"'`[\]]/u;

/** Why `value` cannot be a project id, or undefined when it can. */
export function projectIdProblem(value: unknown): string | undefined {
  const problem = segmentProblem(value);
  if (problem) return problem;
  const id = value as string;
  if ([...id].length > MAX_PROJECT_ID_LENGTH)
    return `is longer than ${MAX_PROJECT_ID_LENGTH} characters (project:{id} must be a Cognito group name)`;
  const bad = NOT_IN_PROJECT_ID.exec(id);
  if (bad)
    return `contains ${JSON.stringify(bad[0])} (${describeCharacter(bad[0])}), which a Cognito group name project:{id} cannot hold unambiguously`;
  return undefined;
}

function checked(problem: string | undefined, what: string, value: unknown): void {
  if (problem) throw new ValidationError(`${what} ${JSON.stringify(value)} ${problem}`);
}

/** The value, once it is a safe segment; a ValidationError naming `what` otherwise. */
export function safeSegment(value: string, what: string): string {
  checked(segmentProblem(value), what, value);
  return value;
}

export function safeMediaKey(value: string, what = 'media_key'): string {
  checked(mediaKeyProblem(value), what, value);
  return value;
}

export function safeProjectId(value: string, what = 'project id'): string {
  checked(projectIdProblem(value), what, value);
  return value;
}
