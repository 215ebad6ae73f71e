import { useState } from 'preact/hooks';
import type { ApiClient } from './api';
import { ConfirmDialog } from './confirm-dialog';
import { COLUMNS, ExportRowGroup } from './export-row';
import { messageOf, timeZone } from './format';
import { UnseenColumnHeader } from './table-parts';
import type { ExportsState } from './use-exports';
import type { ExportRow, Format, ProjectTasks } from './types';

export interface ExportsTableProps {
  api: ApiClient;
  projectId: string;
  tasks: ProjectTasks | null;
  formats: Format[];
  exports: ExportsState;
  onNewExport(): void;
}

export function ExportsTable(props: ExportsTableProps) {
  const { tasks, formats, exports, onNewExport } = props;
  const actions = useExportActions(props);
  if (exports.error && !exports.rows)
    return <LoadFailed error={exports.error} onRetry={exports.reload} />;
  if (!exports.rows) {
    return (
      <p class="loading" role="status">
        Loading exports…
      </p>
    );
  }
  if (exports.rows.length === 0) return <NoExports onNewExport={onNewExport} />;
  return (
    <>
      <div class="table-wrap">
        <table class="exports">
          <caption class="visually-hidden">Exports of this project, newest first</caption>
          <ExportsHead />
          {exports.rows.map((row) => (
            <ExportRowGroup
              key={row.id}
              row={row}
              tasks={tasks}
              formats={formats}
              problem={actions.rowProblem?.id === row.id ? actions.rowProblem.message : null}
              onDownload={(row) => void actions.download(row)}
              onDelete={actions.askDelete}
            />
          ))}
        </table>
      </div>
      <TableFooter exports={exports} />
      <ConfirmDialog
        open={actions.deleting !== null}
        title="Delete this export?"
        confirmLabel="Delete export"
        busy={actions.busy}
        problem={actions.problem}
        onCancel={actions.cancelDelete}
        onConfirm={() => void actions.confirmDelete()}
      >
        <p>
          “{actions.deleting?.name}” and its archive are removed for good. Links already handed out
          stop working.
        </p>
      </ConfirmDialog>
    </>
  );
}

/** Downloading a row, and deleting one after asking. */
function useExportActions({ api, projectId, exports }: ExportsTableProps) {
  const [deleting, setDeleting] = useState<ExportRow | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [rowProblem, setRowProblem] = useState<{ id: string; message: string } | null>(null);

  async function download(row: ExportRow) {
    setRowProblem(null);
    try {
      // The link lives 15 minutes: ask for a fresh one at each click.
      const fresh = await api.exportOf(projectId, row.id);
      if (!fresh.download_url) throw new Error(`it is ${fresh.status.toLowerCase()}`);
      startDownload(fresh.download_url);
    } catch (error) {
      setRowProblem({ id: row.id, message: `Could not download: ${messageOf(error)}` });
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
      setProblem(messageOf(error));
    } finally {
      setBusy(false);
    }
  }

  const askDelete = (row: ExportRow) => {
    setProblem(null);
    setDeleting(row);
  };
  const cancelDelete = () => setDeleting(null);
  return { deleting, busy, problem, rowProblem, download, askDelete, cancelDelete, confirmDelete };
}

/** Follows a download link as a click would, without leaving the page. */
function startDownload(url: string): void {
  const link = document.createElement('a');
  link.href = url;
  link.rel = 'noopener';
  link.download = '';
  document.body.append(link);
  link.click();
  link.remove();
}

function LoadFailed({ error, onRetry }: { error: string; onRetry(): void }) {
  return (
    <div class="notice notice-error" role="alert">
      <p>The exports could not be loaded: {error}</p>
      <button type="button" class="button-secondary" onClick={onRetry}>
        Try again
      </button>
    </div>
  );
}

function NoExports({ onNewExport }: { onNewExport(): void }) {
  return (
    <div class="empty">
      <h2>No exports yet</h2>
      <p>
        An export packs a task’s annotations, the dataset images or both into one zip, in the format
        your training pipeline reads.
      </p>
      <button type="button" class="button-primary" onClick={onNewExport}>
        New export
      </button>
    </div>
  );
}

function ExportsHead() {
  return (
    <>
      <colgroup>
        {COLUMNS.map((c) => (
          <col key={c.col} class={`col-${c.col}`} />
        ))}
      </colgroup>
      <thead>
        <tr>
          {COLUMNS.map((c) =>
            'unseen' in c ? (
              <UnseenColumnHeader key={c.col} label={c.label} />
            ) : (
              <th key={c.col} scope="col" class={'numeric' in c ? 'num' : undefined}>
                {c.label}
              </th>
            ),
          )}
        </tr>
      </thead>
    </>
  );
}

function TableFooter({ exports }: { exports: ExportsState }) {
  return (
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
  );
}
