import type { TaskSummary } from '../shared/api/tasks';
import type { ExportRow, ExportView, UnreadableRow } from '../shared/exports/table';
import type { formatTable } from '../shared/formats/index';

export type FormatRow = ReturnType<typeof formatTable>[number];
export type ProjectTasks = { tasks: TaskSummary[] };

/** Rows under a header, each column as wide as its widest cell. */
export function table(header: string[], rows: string[][]): string {
  const lines = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...lines.map((line) => line[i]!.length)));
  return lines
    .map((line) =>
      line
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function exportsTable(rows: Array<ExportRow | UnreadableRow>): string {
  return table(
    ['id', 'name', 'task', 'format', 'status', 'progress', 'created', 'bytes'],
    rows.map((r) => [
      r.id,
      r.name ?? '-',
      r.task?.id ?? '-',
      r.format ? `${r.format}${r.maskKind ? `:${r.maskKind}` : ''}` : (r.type ?? '-'),
      r.status,
      `${r.progress.done}/${r.progress.total}`,
      r.created_at.slice(0, 19).replace('T', ' '),
      r.bytes === null ? '-' : String(r.bytes),
    ]),
  );
}

export function formatsTable(formats: FormatRow[]): string {
  return table(
    ['id', 'name', 'task types', 'media', 'mask kinds'],
    formats.map((f) => [
      f.id,
      f.label,
      f.taskTypes.join(', '),
      f.media.join(', '),
      f.maskKinds
        ? Object.entries(f.maskKinds)
            .map(([type, kinds]) => `${type}: ${kinds!.join('/')}`)
            .join('; ')
        : '-',
    ]),
  );
}

export function tasksTable({ tasks }: ProjectTasks): string {
  return table(
    ['id', 'name', 'type', 'media', 'classes', 'datasets'],
    tasks.map((t) => [
      t.id,
      t.name,
      t.type,
      t.media,
      String(t.classes.length),
      t.datasets.map((d) => d.id).join(', ') || '-',
    ]),
  );
}

export function exportText(view: ExportView): string {
  const lines = [
    `${view.id}  ${view.name}`,
    `  ${view.status}  ${view.progress.done}/${view.progress.total} shards  ${view.type} ${view.format ?? ''}${view.maskKind ? `:${view.maskKind}` : ''}`,
  ];
  if (view.counts)
    lines.push(`  ${view.counts.items} items, ${view.counts.annotations} annotations`);
  if (view.archive)
    lines.push(
      `  ${view.archive.files} files, ${view.archive.bytes} bytes, crc32 ${view.archive.crc32}`,
    );
  for (const warning of view.warnings) lines.push(`  warning: ${warning}`);
  if (view.error) {
    lines.push(`  error: ${view.error.message}`);
    for (const detail of view.error.details) lines.push(`    - ${detail}`);
  }
  if (view.download_url) lines.push(`  download (15 minutes): ${view.download_url}`);
  return lines.join('\n');
}
