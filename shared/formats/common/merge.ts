import type { MergeRule, Part } from '../types';

/*
 * Merge rules for per-dataset files that every shard writes (DESIGN §11): how package joins the
 * shards' parts of one file into the file.
 */

/** A file every shard writes identically (a class list, metadata definitions): the first part is the file. */
export function firstPartOnly(path: string): MergeRule {
  return {
    matches: (candidate) => candidate === path,
    async *merge(parts) {
      for await (const part of parts()) {
        yield part.body;
        return;
      }
    },
  };
}

/**
 * A line-oriented file whose parts each end with a line break: the file is the parts in shard
 * order. A pattern merges every file it matches that way (one image list per subset).
 */
export function concatenate(path: string | RegExp): MergeRule {
  return {
    matches: (candidate) => (typeof path === 'string' ? candidate === path : path.test(candidate)),
    async *merge(parts) {
      for await (const part of parts()) yield part.body;
    },
  };
}

/**
 * A CSV file whose parts each start with the same header line (ending in CRLF): the header once,
 * then every part's records in shard order.
 */
export function csvWithHeader(path: string, headerLine: string): MergeRule {
  return {
    matches: (candidate) => candidate === path,
    async *merge(parts) {
      yield headerLine;
      for await (const part of parts()) yield withoutPrefix(part, headerLine, path);
    },
  };
}

/** A compact JSON array per part: one array holding every part's elements in shard order. */
export function jsonArrayConcatenation(path: string): MergeRule {
  return {
    matches: (candidate) => candidate === path,
    async *merge(parts) {
      yield '[';
      let first = true;
      for await (const part of parts()) {
        const body = part.body.trim();
        if (!body.startsWith('[') || !body.endsWith(']')) {
          throw new Error(`${path}: part of shard ${part.shard} is not a JSON array`);
        }
        const elements = body.slice(1, -1);
        if (elements.trim() === '') continue;
        yield (first ? '' : ',') + elements;
        first = false;
      }
      yield ']';
    },
  };
}

function withoutPrefix(part: Part, prefix: string, path: string): string {
  if (!part.body.startsWith(prefix)) {
    throw new Error(`${path}: part of shard ${part.shard} does not start with the expected header`);
  }
  return part.body.slice(prefix.length);
}
