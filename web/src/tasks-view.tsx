import type { ComponentChildren } from 'preact';
import { humanise } from './format';
import { ActionMenu } from './menu';
import type { DialogPreset } from './rules';
import type { ProjectTasks } from './types';

interface Column<T> {
  label: string;
  numeric?: boolean;
  cell(row: T): ComponentChildren;
}

/**
 * One section of the view: a titled table whose first column heads each row and whose last is
 * the row's action menu with "Export…".
 */
function Catalogue<T extends { id: string; name: string }>(props: {
  title: string;
  noun: string;
  rows: T[];
  columns: Array<Column<T>>;
  onExport(row: T): void;
}) {
  const headingId = `${props.noun}s-heading`;
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId} class="section-title">
        {props.title}
      </h2>
      {props.rows.length === 0 ? (
        <p class="muted">This project has no {props.noun}s yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="catalogue">
            <thead>
              <tr>
                {props.columns.map((c) => (
                  <th key={c.label} scope="col" class={c.numeric ? 'num' : undefined}>
                    {c.label}
                  </th>
                ))}
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((row) => (
                <tr key={row.id}>
                  {props.columns.map((c, i) => {
                    const Cell = i === 0 ? 'th' : 'td';
                    return (
                      <Cell
                        key={c.label}
                        scope={i === 0 ? 'row' : undefined}
                        data-label={c.label}
                        class={c.numeric ? 'num' : undefined}
                      >
                        {c.cell(row)}
                      </Cell>
                    );
                  })}
                  <td data-label="Actions" class="actions">
                    <ActionMenu
                      label={`Actions for ${props.noun} ${row.name}`}
                      items={[{ label: 'Export…', onSelect: () => props.onExport(row) }]}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
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
  const tasksOf = (datasetId: string) =>
    tasks.tasks.filter((t) => t.datasets.some((d) => d.id === datasetId)).map((t) => t.name);
  return (
    <div class="stack">
      <Catalogue
        title="Tasks"
        noun="task"
        rows={tasks.tasks}
        onExport={(task) => onExport({ taskId: task.id })}
        columns={[
          { label: 'Task', cell: (t) => t.name },
          { label: 'Type', cell: (t) => humanise(t.type) },
          { label: 'Media', cell: (t) => t.media },
          { label: 'Datasets', cell: (t) => t.datasets.map((d) => d.name).join(', ') || '—' },
          { label: 'Classes', numeric: true, cell: (t) => t.classes.length },
        ]}
      />
      <Catalogue
        title="Datasets"
        noun="dataset"
        rows={tasks.datasets}
        onExport={(dataset) => onExport({ datasetId: dataset.id })}
        columns={[
          { label: 'Dataset', cell: (d) => d.name },
          { label: 'Media', cell: (d) => d.media },
          { label: 'Annotated by', cell: (d) => tasksOf(d.id).join(', ') || '—' },
        ]}
      />
    </div>
  );
}
