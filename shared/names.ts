/**
 * File and folder names that are safe on every file system and inside a zip (DESIGN §7): no
 * `/ \ : * ? " < > |`, no control characters, no leading dots, no `..`, no trailing dots or spaces.
 */
export function safeName(name: string): string {
  const replaced = name
    // eslint-disable-next-line no-control-regex
    .replace(/[/\\:*?"<>|\u0000-\u001f\u007f]/g, '_')
    .replace(/\.\.+/g, '_')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '')
    .slice(0, 200);
  return replaced.length > 0 ? replaced : '_';
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
    for (let n = 2; this.taken(candidate); n++) candidate = `${folder}${base} (${n})${ext}`;
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
