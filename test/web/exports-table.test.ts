// @vitest-environment happy-dom
/**
 * The exports table, in a DOM: what a row says about its export, why one failed, a download asked
 * for afresh, and a delete that waits for the export to end and for the person to confirm.
 */
import { cleanup, fireEvent, render, waitFor, within } from '@testing-library/preact';
import { h } from 'preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../../web/src/api';
import { ExportsTable } from '../../web/src/exports-table';
import type { ExportRow, Format, ProjectTasks } from '../../web/src/types';
import type { ExportsState } from '../../web/src/use-exports';

const project: ProjectTasks = {
  project: { id: 'p1', name: 'City' },
  tasks: [
    {
      id: 'objects',
      name: 'Objects',
      type: 'object_detection',
      media: 'image',
      classes: [],
      datasets: [
        { id: 'streets', name: 'Streets', media: 'image' },
        { id: 'parks', name: 'Parks', media: 'image' },
      ],
    },
  ],
  datasets: [
    { id: 'streets', name: 'Streets', media: 'image' },
    { id: 'parks', name: 'Parks', media: 'image' },
  ],
};
const formats: Format[] = [
  { id: 'coco', label: 'COCO (.json)', taskTypes: ['object_detection'], media: ['image'] },
];

const anExport = (fields: Partial<ExportRow>): ExportRow => ({
  id: 'e1',
  name: 'nightly',
  task: { id: 'objects', name: 'Objects', type: 'object_detection' },
  format: 'coco',
  maskKind: null,
  type: 'both',
  status: 'SUCCEEDED',
  progress: { done: 2, total: 2 },
  created_at: '2026-03-01T10:00:00.000Z',
  finished_at: '2026-03-01T10:05:00.000Z',
  bytes: 2048,
  error: null,
  ...fields,
});

const stateOf = (rows: ExportRow[]): ExportsState => ({
  rows,
  error: null,
  hasMore: false,
  loadingMore: false,
  loadMore: vi.fn(),
  reload: vi.fn(),
  add: vi.fn(),
  remove: vi.fn(),
});

function show(rows: ExportRow[], api: Partial<ApiClient> = {}) {
  const exports = stateOf(rows);
  const view = render(
    h(ExportsTable, {
      api: api as ApiClient,
      projectId: 'p1',
      tasks: project,
      formats,
      exports,
      onNewExport: vi.fn(),
    }),
  );
  const row = (id: string) =>
    within(view.container.querySelector<HTMLElement>(`tbody[data-export-id="${id}"]`)!);
  return { view, exports, row, ui: within(view.container as HTMLElement) };
}

afterEach(cleanup);

describe('a row', () => {
  it('names the format, the datasets of its task and its subsets, and marks a password', () => {
    const { row } = show([
      anExport({
        encryption: 'aes256',
        subsets: [
          { name: 'train', percent: 80 },
          { name: 'val', percent: 20 },
        ],
      }),
    ]);
    const cells = row('e1');
    expect(cells.getByText('COCO (.json)')).toBeTruthy();
    // No datasets named: all of the task's, by their names.
    expect(cells.getByText('Streets, Parks')).toBeTruthy();
    expect(cells.getByText('train').textContent).toBe('train 80 %');
    expect(cells.getByRole('img').getAttribute('aria-label')).toBe('Password-protected (AES-256)');
    expect(cells.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
  });

  it('says why its export failed, across every column', () => {
    const { view, row } = show([
      anExport({
        status: 'FAILED',
        error: { code: 'RenderError', message: 'An image is missing', details: ['a.jpg', 'b.jpg'] },
      }),
    ]);
    const failure = row('e1').getByText('Why it failed:').closest('td')!;
    expect(failure.textContent).toBe('Why it failed: An image is missinga.jpgb.jpg');
    const columns = view.container.querySelectorAll('thead th').length;
    expect(columns).toBe(9);
    expect(failure.colSpan).toBe(columns);
  });
});

describe('a download', () => {
  it('asks for a fresh link at each click, and says in the row why there is none', async () => {
    const exportOf = vi.fn(async () => anExport({ status: 'RUNNING' }));
    const { row } = show([anExport({})], { exportOf });
    fireEvent.click(row('e1').getByText('Download'));
    expect((await row('e1').findByRole('alert')).textContent).toBe(
      'Could not download: it is running',
    );
    expect(exportOf).toHaveBeenCalledWith('p1', 'e1');
  });
});

describe('a delete', () => {
  it('waits for the export to end', () => {
    const { row } = show([anExport({ status: 'RUNNING', progress: { done: 1, total: 2 } })]);
    const button = row('e1').getByText('Delete') as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(button.title).toBe('An export can be deleted once it has ended');
  });

  it('asks first, then removes the row; a refusal is said in the question', async () => {
    let refuse = true;
    const deleteExport = vi.fn(async () => {
      if (refuse) throw new Error('the store is read-only');
    });
    const { exports, row, ui } = show([anExport({})], { deleteExport });
    fireEvent.click(row('e1').getByText('Delete'));
    const question = ui.getByText('Delete this export?').closest('dialog')!;
    expect(question.open).toBe(true);
    expect(question.textContent).toContain('“nightly” and its archive are removed for good.');
    fireEvent.click(within(question).getByText('Delete export'));
    expect((await within(question).findByRole('alert')).textContent).toBe('the store is read-only');
    expect(exports.remove).not.toHaveBeenCalled();
    refuse = false;
    fireEvent.click(within(question).getByText('Delete export'));
    await waitFor(() => expect(exports.remove).toHaveBeenCalledWith('e1'));
    expect(deleteExport).toHaveBeenLastCalledWith('p1', 'e1');
    await waitFor(() => expect(question.open).toBe(false));
  });
});
