import { useState } from 'preact/hooks';
import type { ApiClient } from './api';
import { ConfirmDialog } from './confirm-dialog';
import {
  formatBytes,
  formatDate,
  formatDateTime,
  humanise,
  percentOf,
  timeZone,
  typeLabel,
} from './format';
import type { ExportsState } from './use-exports';
import type { ExportRow, Format, ProjectTasks } from './types';

const STATUS_LABELS = {
  QUEUED: 'Queued',
  RUNNING: 'Running',
  SUCCEEDED: 'Ready',
  FAILED: 'Failed',
} as const;

const COLUMNS = 9;

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

/** Status chip and a progress bar of fixed size: updates change a width, never the layout. */
export function StatusCell({ row }: { row: ExportRow }) {
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

export interface ExportsTableProps {
  api: ApiClient;
  projectId: string;
  tasks: ProjectTasks | null;
  formats: Format[];
  exports: ExportsState;
  onNewExport(): void;
}

export function ExportsTable({
  api,
  projectId,
  tasks,
  formats,
  exports,
  onNewExport,
}: ExportsTableProps) {
  const [deleting, setDeleting] = useState<ExportRow | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [rowProblem, setRowProblem] = useState<{ id: string; message: string } | null>(null);

  const datasetName = (id: string) => tasks?.datasets.find((d) => d.id === id)?.name ?? id;
  const datasetsOf = (row: ExportRow): string => {
    if (row.datasetIds) return row.datasetIds.map(datasetName).join(', ');
    const task = tasks?.tasks.find((t) => t.id === row.task?.id);
    return task ? task.datasets.map((d) => d.name).join(', ') : 'All of the task’s';
  };
  const formatLabel = (id: string | null) =>
    id ? (formats.find((f) => f.id === id)?.label ?? id) : '—';

  async function download(row: ExportRow) {
    setRowProblem(null);
    try {
      // The link lives 15 minutes: ask for a fresh one at each click.
      const fresh = await api.exportOf(projectId, row.id);
      if (!fresh.download_url) throw new Error(`it is ${fresh.status.toLowerCase()}`);
      const link = document.createElement('a');
      link.href = fresh.download_url;
      link.rel = 'noopener';
      link.download = '';
      document.body.append(link);
      link.click();
      link.remove();
    } catch (error) {
      setRowProblem({
        id: row.id,
        message: `Could not download: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }

  async function confirmDelete() {
    if (!deleting) return;
    setBusy(true);
    setProblem(null);
    try {
      await api.deleteExport(projectId, deleting.id);
      exports.remove(deleting.id);
      setDeleting(null);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  }

  if (exports.error && !exports.rows) {
    return (
      <div class="notice notice-error" role="alert">
        <p>The exports could not be loaded: {exports.error}</p>
        <button type="button" class="button-secondary" onClick={exports.reload}>
          Try again
        </button>
      </div>
    );
  }
  if (!exports.rows) {
    return (
      <p class="loading" role="status">
        Loading exports…
      </p>
    );
  }
  if (exports.rows.length === 0) {
    return (
      <div class="empty">
        <h2>No exports yet</h2>
        <p>
          An export packs a task’s annotations, the dataset images or both into one zip, in the
          format your training pipeline reads.
        </p>
        <button type="button" class="button-primary" onClick={onNewExport}>
          New export
        </button>
      </div>
    );
  }
  return (
    <>
      <div class="table-wrap">
        <table class="exports">
          <caption class="visually-hidden">Exports of this project, newest first</caption>
          <colgroup>
            <col class="col-name" />
            <col class="col-task" />
            <col class="col-format" />
            <col class="col-datasets" />
            <col class="col-subsets" />
            <col class="col-status" />
            <col class="col-size" />
            <col class="col-date" />
            <col class="col-actions" />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Task</th>
              <th scope="col">Format</th>
              <th scope="col">Datasets</th>
              <th scope="col">Subsets</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Size
              </th>
              <th scope="col">Created · expires</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          {exports.rows.map((row) => (
            <tbody key={row.id} class="export-row" data-export-id={row.id} data-status={row.status}>
              <tr>
                <th scope="row" data-label="Name" class="cell-name">
                  <span class="name">
                    <LockIcon encryption={row.encryption} />
                    <span class="name-text">{row.name}</span>
                  </span>
                  <span class="sub">{typeLabel(row.type)}</span>
                </th>
                <td data-label="Task">{row.task?.name ?? '—'}</td>
                <td data-label="Format">
                  {row.type === 'datasets' ? 'Images' : formatLabel(row.format)}
                  {row.maskKind ? <span class="sub">{humanise(row.maskKind)}</span> : null}
                </td>
                <td data-label="Datasets">{datasetsOf(row)}</td>
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
                <td data-label="Status">
                  <StatusCell row={row} />
                </td>
                <td data-label="Size" class="num">
                  {formatBytes(row.bytes)}
                </td>
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
                <td data-label="Actions" class="actions">
                  <div class="action-buttons">
                    {row.status === 'SUCCEEDED' ? (
                      <button
                        type="button"
                        class="button-secondary"
                        aria-label={`Download ${row.name}`}
                        onClick={() => void download(row)}
                      >
                        Download
                      </button>
                    ) : null}
                    <button
                      type="button"
                      class="button-quiet danger"
                      aria-label={`Delete ${row.name}`}
                      disabled={row.status === 'QUEUED' || row.status === 'RUNNING'}
                      title={
                        row.status === 'QUEUED' || row.status === 'RUNNING'
                          ? 'An export can be deleted once it has ended'
                          : undefined
                      }
                      onClick={() => {
                        setProblem(null);
                        setDeleting(row);
                      }}
                    >
                      Delete
                    </button>
                  </div>
                </td>
              </tr>
              {row.status === 'FAILED' && row.error ? (
                <tr class="failure-row">
                  <td colSpan={COLUMNS}>
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
                  </td>
                </tr>
              ) : null}
              {rowProblem?.id === row.id ? (
                <tr class="failure-row">
                  <td colSpan={COLUMNS}>
                    <p class="failure" role="alert">
                      {rowProblem.message}
                    </p>
                  </td>
                </tr>
              ) : null}
            </tbody>
          ))}
        </table>
      </div>
      <div class="table-footer">
        <p class="muted">Times are shown in your time zone ({timeZone()}).</p>
        {exports.hasMore ? (
          <button
            type="button"
            class="button-secondary"
            disabled={exports.loadingMore}
            onClick={exports.loadMore}
          >
            {exports.loadingMore ? 'Loading…' : 'Show older exports'}
          </button>
        ) : null}
      </div>
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this export?"
        confirmLabel="Delete export"
        busy={busy}
        problem={problem}
        onCancel={() => setDeleting(null)}
        onConfirm={() => void confirmDelete()}
      >
        <p>
          “{deleting?.name}” and its archive are removed for good. Links already handed out stop
          working.
        </p>
      </ConfirmDialog>
    </>
  );
}
