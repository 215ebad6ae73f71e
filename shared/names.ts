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
 * folders are): a repeat becomes `name (2).ext`, `name (3).ext`.
 */
export class UniqueNames {
  private readonly taken = new Set<string>();

  claim(name: string): string {
    const safe = safeName(name);
    let candidate = safe;
    for (let n = 2; this.taken.has(candidate.toLowerCase()); n++) {
      const s = stem(safe);
      const ext = safe.slice(s.length);
      candidate = `${s} (${n})${ext}`;
    }
    this.taken.add(candidate.toLowerCase());
    return candidate;
  }
}
