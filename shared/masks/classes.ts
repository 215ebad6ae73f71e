import { classesByAscendingId } from '../formats/common/class-list';
import type { Task } from '../model/types';
import { safeName } from '../names';

/** A task class as masks use it: its pixel value and the name its binary masks carry. */
export interface MaskClass {
  id: number;
  name: string;
  /** 1-based position of the class among the task's classes by ascending id (DESIGN §8). */
  value: number;
  /** The name made safe for a file name and unique among the task's classes. */
  fileName: string;
}

/** The task's classes by id, with the values aggregated class masks paint and their file names. */
export function maskClasses(task: Task): Map<number, MaskClass> {
  const taken = new Set<string>();
  const byId = new Map<number, MaskClass>();
  classesByAscendingId(task).forEach((c, position) => {
    const safe = safeName(c.name);
    let fileName = safe;
    // Case-insensitive: two classes must not share a file on Windows or macOS either.
    for (let n = 2; taken.has(fileName.toLowerCase()); n++) fileName = `${safe} (${n})`;
    taken.add(fileName.toLowerCase());
    byId.set(c.id, { id: c.id, name: c.name, value: position + 1, fileName });
  });
  return byId;
}
