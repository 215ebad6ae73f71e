/** Longest safe name in UTF-8 bytes: file systems take 255, and suffixes (` (2)`, `.zip`) need room. */
export const MAX_NAME_BYTES = 200;
/** A tail after the last dot counts as an extension, kept when a name is cut, up to this length. */
const MAX_EXTENSION_BYTES = 16;

/**
 * Characters that are invisible or reorder the text around them: control characters (C0, DEL and
 * C1 such as U+0085), format characters (bidirectional embeddings, overrides and isolates
 * U+202A-U+202E and U+2066-U+2069, zero-width spaces, the byte-order mark, soft hyphens), line and
 * paragraph separators, and halves of surrogate pairs. A few format characters are part of
 * ordinary text and stay: the joiners U+200C and U+200D (Persian, Indic scripts, emoji sequences),
 * the directional marks U+200E, U+200F and U+061C (they fix punctuation in right-to-left text and
 * reorder nothing but themselves) and the emoji tag characters U+E0020-U+E007F (subdivision flags).
 */
const INVISIBLE = /(?![\u200c-\u200f\u061c\u{e0020}-\u{e007f}])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'gu');

/**
 * The first invisible or reordering character of a name or id (see INVISIBLE), as `U+202E`: no
 * name of an export, no file name in an archive and no segment of an S3 key holds one.
 */
export function invisibleCharacter(name: string): string | undefined {
  const match = INVISIBLE.exec(name);
  if (!match) return undefined;
  return `U+${match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** The longest start of `text` (whole code points) that fits in `bytes` bytes of UTF-8. */
function cutToBytes(text: string, bytes: number): string {
  let out = '';
  let used = 0;
  for (const c of text) {
    const size = utf8Bytes(c);
    if (used + size > bytes) break;
    out += c;
    used += size;
  }
  return out;
}

const trimEnd = (text: string) => text.replace(/[.\s]+$/, '');

/**
 * `base` + `suffix` + `ext` within MAX_NAME_BYTES: the base is cut, never the extension, so that a
 * long `scan ... .png` stays a PNG.
 */
function fit(base: string, suffix: string, ext: string): string {
  const room = MAX_NAME_BYTES - utf8Bytes(suffix) - utf8Bytes(ext);
  const cut = utf8Bytes(base) > room ? trimEnd(cutToBytes(base, room)) : base;
  return `${cut.length > 0 ? cut : '_'}${suffix}${ext}`;
}

/** The extension (with its dot) that a cut keeps: a short tail after the last dot, or ''. */
function keptExtension(name: string): string {
  const base = stem(name);
  const ext = name.slice(base.length);
  return ext.length > 1 && utf8Bytes(ext) <= MAX_EXTENSION_BYTES ? ext : '';
}

/**
 * File and folder names that are safe on every file system and inside a zip (DESIGN §7): no
 * `/ \ : * ? " < > |`, no control or invisible characters, no leading dots, no `..`, no trailing
 * dots or spaces, at most MAX_NAME_BYTES of UTF-8 — cut before the extension, which is kept.
 */
export function safeName(name: string): string {
  const replaced = name
    .replace(/[/\\:*?"<>|]/g, '_')
    .replace(INVISIBLE_ALL, '_')
    .replace(/\.\.+/g, '_')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (replaced.length === 0) return '_';
  if (utf8Bytes(replaced) <= MAX_NAME_BYTES) return replaced;
  const ext = keptExtension(replaced);
  return fit(replaced.slice(0, replaced.length - ext.length), '', ext);
}

/** Whitespace runs as `_`: for names that whitespace-separated formats write into their lines. */
export function withoutWhitespace(name: string): string {
  return name.replace(/\s+/g, '_');
}

/** The name without its last extension: `a.b.png` → `a.b` (in a path, of its last segment only). */
export function stem(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > name.lastIndexOf('/') + 1 ? name.slice(0, dot) : name;
}

/** The last extension without its dot, lower case, or '' when there is none. */
export function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > name.lastIndexOf('/') + 1 ? name.slice(dot + 1).toLowerCase() : '';
}

/**
 * Hands out safe names that stay unique within one folder, case-insensitively (Windows and macOS
 * folders are): a repeat becomes `name (2).ext`, `name (3).ext`. Stems stay unique too, because
 * per-item annotation files are named after the stem (`cat.jpg` and `cat.png` would both write
 * `cat.xml`): the second becomes `cat (2).png`.
 *
 * With `keepFolders` (item names), a name that is a relative path (`batch_1/000006.jpg`, as COCO
 * files from image trees have) keeps
 * its folders, each segment made safe, so that an export matches the user's image tree. It is
 * flattened to one safe name instead when a segment is empty, `.` or `..`, or when a folder would
 * be a file name handed out already (or the other way round).
 */
export class UniqueNames {
  private readonly names = new Set<string>();
  private readonly stems = new Set<string>();
  /** Folders that kept paths create, lower case, each with its parents: `a`, `a/b`. */
  private readonly folders = new Set<string>();

  constructor(private readonly options: { keepFolders?: boolean } = {}) {}

  claim(name: string): string {
    const path = this.keptPath(name);
    const slash = path ? path.lastIndexOf('/') + 1 : 0;
    const folder = path ? path.slice(0, slash) : '';
    const safe = path ? path.slice(slash) : safeName(name);
    const base = stem(safe);
    const ext = safe.slice(base.length);
    let candidate = folder + safe;
    for (let n = 2; this.taken(candidate); n++) candidate = folder + fit(base, ` (${n})`, ext);
    this.names.add(candidate.toLowerCase());
    this.stems.add(stem(candidate).toLowerCase());
    const segments = folder.toLowerCase().split('/').slice(0, -1);
    segments.forEach((_, i) => this.folders.add(segments.slice(0, i + 1).join('/')));
    return candidate;
  }

  private taken(candidate: string): boolean {
    const lower = candidate.toLowerCase();
    return this.names.has(lower) || this.stems.has(stem(lower)) || this.folders.has(lower);
  }

  /** The name as a path of safe segments, or null when it has no folders or cannot keep them. */
  private keptPath(name: string): string | null {
    if (!this.options.keepFolders || !name.includes('/')) return null;
    const raw = name.split('/');
    if (raw.some((segment) => segment === '' || segment === '.' || segment === '..')) return null;
    const segments = raw.map(safeName);
    for (let i = 1; i < segments.length; i++) {
      const folder = segments.slice(0, i).join('/').toLowerCase();
      if (this.names.has(folder)) return null;
    }
    return segments.join('/');
  }
}

/** `{project}-{task}-{format}-{yyyyMMdd-HHmm}` (DESIGN §5), in UTC; the web page shows the same name before it sends it. */
export function generatedName(parts: Array<string | undefined>, at: Date): string {
  const stamp = at.toISOString().replace(/-/g, '').replace('T', '-').replace(/:/g, '').slice(0, 13);
  return [...parts.filter((p): p is string => Boolean(p)), stamp].join('-').slice(0, 128);
}
