import { humanise } from './format';
import { ActionMenu } from './menu';
import type { DialogPreset } from './rules';
import type { ProjectTasks } from './types';

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
      <section aria-labelledby="tasks-heading">
        <h2 id="tasks-heading" class="section-title">
          Tasks
        </h2>
        {tasks.tasks.length === 0 ? (
          <p class="muted">This project has no tasks yet.</p>
        ) : (
          <div class="table-wrap">
            <table class="catalogue">
              <thead>
                <tr>
                  <th scope="col">Task</th>
                  <th scope="col">Type</th>
                  <th scope="col">Media</th>
                  <th scope="col">Datasets</th>
                  <th scope="col" class="num">
                    Classes
                  </th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tasks.tasks.map((task) => (
                  <tr key={task.id}>
                    <th scope="row" data-label="Task">
                      {task.name}
                    </th>
                    <td data-label="Type">{humanise(task.type)}</td>
                    <td data-label="Media">{task.media}</td>
                    <td data-label="Datasets">
                      {task.datasets.map((d) => d.name).join(', ') || '—'}
                    </td>
                    <td data-label="Classes" class="num">
                      {task.classes.length}
                    </td>
                    <td data-label="Actions" class="actions">
                      <ActionMenu
                        label={`Actions for task ${task.name}`}
                        items={[
                          { label: 'Export…', onSelect: () => onExport({ taskId: task.id }) },
                        ]}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="datasets-heading">
        <h2 id="datasets-heading" class="section-title">
          Datasets
        </h2>
        {tasks.datasets.length === 0 ? (
          <p class="muted">This project has no datasets yet.</p>
        ) : (
          <div class="table-wrap">
            <table class="catalogue">
              <thead>
                <tr>
                  <th scope="col">Dataset</th>
                  <th scope="col">Media</th>
                  <th scope="col">Annotated by</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tasks.datasets.map((dataset) => (
                  <tr key={dataset.id}>
                    <th scope="row" data-label="Dataset">
                      {dataset.name}
                    </th>
                    <td data-label="Media">{dataset.media}</td>
                    <td data-label="Annotated by">{tasksOf(dataset.id).join(', ') || '—'}</td>
                    <td data-label="Actions" class="actions">
                      <ActionMenu
                        label={`Actions for dataset ${dataset.name}`}
                        items={[
                          { label: 'Export…', onSelect: () => onExport({ datasetId: dataset.id }) },
                        ]}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
