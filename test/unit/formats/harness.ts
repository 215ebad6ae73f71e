/**
 * What every format test needs: render a case as one shard or as several, merge the shards as
 * package does, and compare outputs with golden files.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExportItem, Format, Part, RenderInput } from '../../../shared/formats/types';
import { CREATED_AT, EXPORT_NAME, type TinyCase } from '../../fixtures/tiny/input';

export const EXPECTED_ROOT = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../fixtures/tiny/expected',
);

export interface Rendered {
  files: Map<string, Buffer>;
  warnings: string[];
}

/**
 * Files a format renders relative to the archive root (trainer layouts) are kept under this
 * folder, apart from the dataset folder's files.
 */
export const ROOT_FOLDER = '(root)/';

/** The rule that merges a harness path, if any: root rules for root files, the others else. */
function mergeRule(format: Format, path: string) {
  const root = path.startsWith(ROOT_FOLDER);
  const relative = root ? path.slice(ROOT_FOLDER.length) : path;
  return format.merges.find((rule) => !!rule.root === root && rule.matches(relative));
}

function bytes(body: string | Uint8Array): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
}

export function renderInput(tiny: TinyCase, items: ExportItem[], warnings: string[]): RenderInput {
  return {
    exportName: EXPORT_NAME,
    createdAt: CREATED_AT,
    task: tiny.task,
    dataset: tiny.dataset,
    datasetFolder: tiny.datasetFolder,
    items,
    warn: (message) => warnings.push(message),
  };
}

/** Renders items as one shard, failing on a repeated path. */
export async function renderShard(
  format: Format,
  tiny: TinyCase,
  items: ExportItem[] = tiny.items,
): Promise<Rendered> {
  const warnings: string[] = [];
  const files = new Map<string, Buffer>();
  for await (const file of format.render(renderInput(tiny, items, warnings))) {
    if (!('body' in file)) throw new Error(`${file.path}: a source entry from ${format.id}`);
    const path = file.root ? ROOT_FOLDER + file.path : file.path;
    if (files.has(path)) throw new Error(`${path} rendered twice in one shard`);
    files.set(path, bytes(file.body));
  }
  return { files, warnings };
}

/**
 * Renders each group of items as a shard and joins them as package does: paths a merge rule
 * matches are merged in shard order, every other path must come from one shard only.
 */
export async function renderShards(
  format: Format,
  tiny: TinyCase,
  shards: ExportItem[][],
): Promise<Rendered> {
  const rendered = [];
  for (const items of shards) rendered.push(await renderShard(format, tiny, items));
  const files = new Map<string, Buffer>();
  const parts = new Map<string, Part[]>();
  for (const [shard, { files: shardFiles }] of rendered.entries()) {
    for (const [path, body] of shardFiles) {
      if (mergeRule(format, path)) {
        const list = parts.get(path) ?? [];
        list.push({ shard, body: body.toString('utf8') });
        parts.set(path, list);
      } else {
        if (files.has(path)) throw new Error(`${path} written by two shards and not merged`);
        files.set(path, body);
      }
    }
  }
  const context = {
    exportName: EXPORT_NAME,
    createdAt: CREATED_AT,
    task: tiny.task,
    dataset: tiny.dataset,
  };
  for (const [path, list] of parts) {
    const rule = mergeRule(format, path)!;
    const chunks: Buffer[] = [];
    const iterate = async function* () {
      yield* list;
    };
    for await (const chunk of rule.merge(iterate, context)) chunks.push(bytes(chunk));
    files.set(path, Buffer.concat(chunks));
  }
  return { files, warnings: rendered.flatMap((r) => r.warnings) };
}

function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

/**
 * The golden files of a case and format: written when UPDATE_GOLDEN=1, else read back for
 * comparison (paths sorted, bodies as text).
 */
export function golden(dir: string, files: Map<string, Buffer>): Map<string, string> {
  const root = join(EXPECTED_ROOT, dir);
  if (process.env.UPDATE_GOLDEN === '1') {
    rmSync(root, { recursive: true, force: true });
    for (const [path, body] of files) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), body);
    }
  }
  return new Map(listFiles(root).map((path) => [path, readFileSync(join(root, path), 'utf8')]));
}

export function asText(files: Map<string, Buffer>): Map<string, string> {
  return new Map([...files.keys()].sort().map((path) => [path, files.get(path)!.toString('utf8')]));
}
