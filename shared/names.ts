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

/** The name without its last extension: `a.b.png` → `a.b`. */
export function stem(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/** The last extension without its dot, lower case, or '' when there is none. */
export function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

/**
 * Hands out safe names that stay unique within one folder, case-insensitively (Windows and macOS
 * folders are): a repeat becomes `name (2).ext`, `name (3).ext`. Stems stay unique too, because
 * per-item annotation files are named after the stem (`cat.jpg` and `cat.png` would both write
 * `cat.xml`): the second becomes `cat (2).png`.
 */
export class UniqueNames {
  private readonly names = new Set<string>();
  private readonly stems = new Set<string>();

  claim(name: string): string {
    const safe = safeName(name);
    const base = stem(safe);
    const ext = safe.slice(base.length);
    let candidate = safe;
    for (
      let n = 2;
      this.names.has(candidate.toLowerCase()) || this.stems.has(stem(candidate).toLowerCase());
      n++
    ) {
      candidate = `${base} (${n})${ext}`;
    }
    this.names.add(candidate.toLowerCase());
    this.stems.add(stem(candidate).toLowerCase());
    return candidate;
  }
}

/** `{project}-{task}-{format}-{yyyyMMdd-HHmm}` (DESIGN §5), in UTC; the web page shows the same name before it sends it. */
export function generatedName(parts: Array<string | undefined>, at: Date): string {
  const stamp = at.toISOString().replace(/-/g, '').replace('T', '-').replace(/:/g, '').slice(0, 13);
  return [...parts.filter((p): p is string => Boolean(p)), stamp].join('-').slice(0, 128);
}
