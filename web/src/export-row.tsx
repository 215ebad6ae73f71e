/** The exports table's columns, and one export as its rows: its cells, and below them why it failed. */
import type { ComponentChildren } from 'preact';
import { formatBytes, formatDate, formatDateTime, humanise, percentOf, typeLabel } from './format';
import type { ExportRow, Format, ProjectTasks } from './types';
import { isActive } from './use-exports';

/** The table's columns, in order: the class of each one's <col> (its width) and its header. */
export const COLUMNS = [
  { col: 'name', label: 'Name' },
  { col: 'task', label: 'Task' },
  { col: 'format', label: 'Format' },
  { col: 'datasets', label: 'Datasets' },
  { col: 'subsets', label: 'Subsets' },
  { col: 'status', label: 'Status' },
  { col: 'size', label: 'Size', numeric: true },
  { col: 'date', label: 'Created · expires' },
  { col: 'actions', label: 'Actions', unseen: true },
] as const;

const STATUS_LABELS = {
  QUEUED: 'Queued',
  RUNNING: 'Running',
  SUCCEEDED: 'Ready',
  FAILED: 'Failed',
} as const;

export interface ExportRowProps {
  row: ExportRow;
  tasks: ProjectTasks | null;
  formats: Format[];
  /** Why the last download of this row failed, if it did. */
  problem: string | null;
  onDownload(row: ExportRow): void;
  onDelete(row: ExportRow): void;
}

export function ExportRowGroup({ row, tasks, formats, problem, ...actions }: ExportRowProps) {
  return (
    <tbody class="export-row" data-export-id={row.id} data-status={row.status}>
      <tr>
        <NameCell row={row} />
        <td data-label="Task">{row.task?.name ?? '—'}</td>
        <td data-label="Format">
          {row.type === 'datasets' ? 'Images' : formatLabel(row.format, formats)}
          {row.maskKind ? <span class="sub">{humanise(row.maskKind)}</span> : null}
        </td>
        <td data-label="Datasets">{datasetsOf(row, tasks)}</td>
        <SubsetsCell row={row} />
        <td data-label="Status">
          <StatusCell row={row} />
        </td>
        <td data-label="Size" class="num">
          {formatBytes(row.bytes)}
        </td>
        <CreatedCell row={row} />
        <ActionsCell row={row} {...actions} />
      </tr>
      {row.status === 'FAILED' && row.error ? (
        <FailureRow>
          <div class="failure">
            <strong>Why it failed:</strong> {row.error.message}
            {row.error.details.length > 0 ? (
              <ul>
                {row.error.details.map((d) => (
                  <li key={d}>{d}</li>
                ))}
              </ul>
            ) : null}
          </div>
        </FailureRow>
      ) : null}
      {problem ? (
        <FailureRow>
          <p class="failure" role="alert">
            {problem}
          </p>
        </FailureRow>
      ) : null}
    </tbody>
  );
}

function formatLabel(id: string | null, formats: Format[]): string {
  return id ? (formats.find((f) => f.id === id)?.label ?? id) : '—';
}

/** The datasets the export names, or else those of its task (the API's default). */
function datasetsOf(row: ExportRow, tasks: ProjectTasks | null): string {
  const nameOf = (id: string) => tasks?.datasets.find((d) => d.id === id)?.name ?? id;
  if (row.datasetIds) return row.datasetIds.map(nameOf).join(', ');
  const task = tasks?.tasks.find((t) => t.id === row.task?.id);
  return task ? task.datasets.map((d) => d.name).join(', ') : 'All of the task’s';
}

function NameCell({ row }: { row: ExportRow }) {
  return (
    <th scope="row" data-label="Name" class="cell-name">
      <span class="name">
        <LockIcon encryption={row.encryption} />
        <span class="name-text">{row.name}</span>
      </span>
      <span class="sub">{typeLabel(row.type)}</span>
    </th>
  );
}

function LockIcon({ encryption }: { encryption: ExportRow['encryption'] }) {
  if (!encryption) return null;
  const label = `Password-protected (${encryption === 'aes256' ? 'AES-256' : 'ZipCrypto'})`;
  return (
    <svg class="lock" viewBox="0 0 16 16" width="14" height="14" role="img" aria-label={label}>
      <title>{label}</title>
      <path
        fill="currentColor"
        d="M4 7V5a4 4 0 1 1 8 0v2h.5A1.5 1.5 0 0 1 14 8.5v5a1.5 1.5 0 0 1-1.5 1.5h-9A1.5 1.5 0 0 1 2 13.5v-5A1.5 1.5 0 0 1 3.5 7H4Zm1.5 0h5V5a2.5 2.5 0 0 0-5 0v2Z"
      />
    </svg>
  );
}

function SubsetsCell({ row }: { row: ExportRow }) {
  return (
    <td data-label="Subsets">
      {row.subsets?.length ? (
        <span class="subsets-list">
          {row.subsets.map((s) => (
            <span key={s.name} class="subset">
              {s.name} <span class="muted">{s.percent} %</span>
            </span>
          ))}
        </span>
      ) : (
        <span class="muted">None</span>
      )}
    </td>
  );
}

/** Status chip and a progress bar of fixed size: updates change a width, never the layout. */
function StatusCell({ row }: { row: ExportRow }) {
  const percent = percentOf(row.progress, row.status === 'SUCCEEDED');
  const shards =
    row.progress.total > 0 ? `${row.progress.done} of ${row.progress.total} parts` : 'not started';
  return (
    <div class="status">
      <span class={`chip chip-${row.status.toLowerCase()}`}>{STATUS_LABELS[row.status]}</span>
      <div
        class={`progress progress-${row.status.toLowerCase()}`}
        role="progressbar"
        aria-label={`Progress of ${row.name}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent} % (${shards})`}
        title={shards}
      >
        <div class="progress-fill" style={{ width: `${percent}%` }} />
      </div>
      <span class="progress-text" aria-hidden="true">
        {percent} %
      </span>
    </div>
  );
}

function CreatedCell({ row }: { row: ExportRow }) {
  return (
    <td data-label="Created">
      <time class="created" dateTime={row.created_at} title={row.created_at}>
        {formatDateTime(row.created_at)}
      </time>
      {row.expires_at ? (
        <span class="sub">
          Expires{' '}
          <time class="expires" dateTime={row.expires_at} title={row.expires_at}>
            {formatDate(row.expires_at)}
          </time>
        </span>
      ) : null}
    </td>
  );
}

function ActionsCell({
  row,
  onDownload,
  onDelete,
}: Pick<ExportRowProps, 'row' | 'onDownload' | 'onDelete'>) {
  const moving = isActive(row);
  return (
    <td data-label="Actions" class="actions">
      <div class="action-buttons">
        {row.status === 'SUCCEEDED' ? (
          <button
            type="button"
            class="button-secondary"
            aria-label={`Download ${row.name}`}
            onClick={() => onDownload(row)}
          >
            Download
          </button>
        ) : null}
        <button
          type="button"
          class="button-quiet danger"
          aria-label={`Delete ${row.name}`}
          disabled={moving}
          title={moving ? 'An export can be deleted once it has ended' : undefined}
          onClick={() => onDelete(row)}
        >
          Delete
        </button>
      </div>
    </td>
  );
}

/** A row under the export's own, across every column. */
function FailureRow({ children }: { children: ComponentChildren }) {
  return (
    <tr class="failure-row">
      <td colSpan={COLUMNS.length}>{children}</td>
    </tr>
  );
}
