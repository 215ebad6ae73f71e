import type { ComponentChildren } from 'preact';
import { humanise } from './format';
import { ActionMenu } from './menu';
import type { DialogPreset } from './rules';
import { UnseenColumnHeader } from './table-parts';
import type { DatasetSummary, ProjectTasks, TaskSummary } from './types';

interface Column<T> {
  label: string;
  numeric?: boolean;
  cell(row: T, project: ProjectTasks): ComponentChildren;
}

/** What one section of the view lists, and how. */
interface CatalogueKind<T> {
  title: string;
  noun: string;
  columns: Array<Column<T>>;
}

const numeric = (c: { numeric?: boolean }) => (c.numeric ? 'num' : undefined);
const namesOrDash = (names: string[]) => names.join(', ') || '—';

const TASKS: CatalogueKind<TaskSummary> = {
  title: 'Tasks',
  noun: 'task',
  columns: [
    { label: 'Task', cell: (t) => t.name },
    { label: 'Type', cell: (t) => humanise(t.type) },
    { label: 'Media', cell: (t) => t.media },
    { label: 'Datasets', cell: (t) => namesOrDash(t.datasets.map((d) => d.name)) },
    { label: 'Classes', numeric: true, cell: (t) => t.classes.length },
  ],
};

const DATASETS: CatalogueKind<DatasetSummary> = {
  title: 'Datasets',
  noun: 'dataset',
  columns: [
    { label: 'Dataset', cell: (d) => d.name },
    { label: 'Media', cell: (d) => d.media },
    {
      label: 'Annotated by',
      cell: (d, project) =>
        namesOrDash(
          project.tasks.filter((t) => t.datasets.some((s) => s.id === d.id)).map((t) => t.name),
        ),
    },
  ],
};

interface CatalogueProps<T> {
  kind: CatalogueKind<T>;
  project: ProjectTasks;
  rows: T[];
  onExport(row: T): void;
}

/**
 * One section of the view: a titled table whose first column heads each row and whose last is
 * the row's action menu with "Export…".
 */
function Catalogue<T extends { id: string; name: string }>({
  kind,
  project,
  rows,
  onExport,
}: CatalogueProps<T>) {
  const headingId = `${kind.noun}s-heading`;
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId} class="section-title">
        {kind.title}
      </h2>
      {rows.length === 0 ? (
        <p class="muted">This project has no {kind.noun}s yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="catalogue">
            <thead>
              <tr>
                {kind.columns.map((c) => (
                  <th key={c.label} scope="col" class={numeric(c)}>
                    {c.label}
                  </th>
                ))}
                <UnseenColumnHeader label="Actions" />
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <CatalogueRow
                  key={row.id}
                  kind={kind}
                  project={project}
                  row={row}
                  onExport={onExport}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** A row: its first cell heads it, its last holds its "Export…" action. */
function CatalogueRow<T extends { id: string; name: string }>({
  kind,
  project,
  onExport,
  row,
}: Omit<CatalogueProps<T>, 'rows'> & { row: T }) {
  return (
    <tr>
      {kind.columns.map((c, i) => {
        const Cell = i === 0 ? 'th' : 'td';
        return (
          <Cell
            key={c.label}
            scope={i === 0 ? 'row' : undefined}
            data-label={c.label}
            class={numeric(c)}
          >
            {c.cell(row, project)}
          </Cell>
        );
      })}
      <td data-label="Actions" class="actions">
        <ActionMenu
          label={`Actions for ${kind.noun} ${row.name}`}
          items={[{ label: 'Export…', onSelect: () => onExport(row) }]}
        />
      </td>
    </tr>
  );
}

/** The project's tasks and datasets, each with an "Export…" action that opens the dialog on it. */
export function TasksView({
  tasks,
  onExport,
}: {
  tasks: ProjectTasks | null;
  onExport(preset: DialogPreset): void;
}) {
  if (!tasks)
    return (
      <p class="loading" role="status">
        Loading tasks…
      </p>
    );
  return (
    <div class="stack">
      <Catalogue
        kind={TASKS}
        project={tasks}
        rows={tasks.tasks}
        onExport={(task) => onExport({ taskId: task.id })}
      />
      <Catalogue
        kind={DATASETS}
        project={tasks}
        rows={tasks.datasets}
        onExport={(dataset) => onExport({ datasetId: dataset.id })}
      />
    </div>
  );
}
