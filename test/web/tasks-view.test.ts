// @vitest-environment happy-dom
/**
 * The tasks and datasets view, in a DOM: each dataset with the tasks that annotate it, and an
 * action menu per row, worked by the keyboard as the WAI-ARIA menu button pattern says, that opens
 * the dialog on its row.
 */
import { cleanup, fireEvent, render, within } from '@testing-library/preact';
import { h } from 'preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ActionMenu } from '../../web/src/menu';
import { TasksView } from '../../web/src/tasks-view';
import type { ProjectTasks, TaskSummary } from '../../web/src/types';

const streets = { id: 'streets', name: 'Streets', media: 'image' as const };
const parks = { id: 'parks', name: 'Parks', media: 'image' as const };
const lone = { id: 'lone', name: 'Lone', media: 'video' as const };
const aTask = (id: string, name: string, datasets: TaskSummary['datasets']): TaskSummary => ({
  id,
  name,
  type: 'object_detection',
  media: 'image',
  classes: [
    { id: 1, name: 'car', parent_id: null },
    { id: 2, name: 'bus', parent_id: null },
  ],
  datasets,
});
const project: ProjectTasks = {
  project: { id: 'p1', name: 'City' },
  tasks: [aTask('objects', 'Objects', [streets, parks]), aTask('signs', 'Signs', [streets])],
  datasets: [streets, parks, lone],
};

afterEach(cleanup);

function show(tasks: ProjectTasks | null = project) {
  const onExport = vi.fn();
  const view = render(h(TasksView, { tasks, onExport }));
  const section = (heading: string) =>
    within(
      within(view.container as HTMLElement)
        .getByRole('heading', { name: heading })
        .closest<HTMLElement>('section')!,
    );
  return { view, onExport, section };
}

const cellsOf = (row: HTMLElement) =>
  [...row.querySelectorAll('th, td')].slice(0, -1).map((c) => c.textContent);

describe('the catalogues', () => {
  it('list each task with its datasets and classes, and each dataset with its tasks', () => {
    const { section } = show();
    const taskRows = section('Tasks').getAllByRole('row').slice(1);
    expect(taskRows.map(cellsOf)).toEqual([
      ['Objects', 'object detection', 'image', 'Streets, Parks', '2'],
      ['Signs', 'object detection', 'image', 'Streets', '2'],
    ]);
    const datasetRows = section('Datasets').getAllByRole('row').slice(1);
    expect(datasetRows.map(cellsOf)).toEqual([
      ['Streets', 'image', 'Objects, Signs'],
      ['Parks', 'image', 'Objects'],
      ['Lone', 'video', '—'],
    ]);
  });

  it('say so when the project has none', () => {
    const { section } = show({ ...project, tasks: [], datasets: [] });
    expect(section('Tasks').getByText('This project has no tasks yet.')).toBeTruthy();
    expect(section('Datasets').getByText('This project has no datasets yet.')).toBeTruthy();
  });
});

describe('the action menu', () => {
  it('opens the dialog on the task or the dataset of its row', () => {
    const { view, onExport } = show();
    const ui = within(view.container as HTMLElement);
    fireEvent.click(ui.getByLabelText('Actions for task Signs'));
    fireEvent.click(ui.getByRole('menuitem', { name: 'Export…' }));
    fireEvent.click(ui.getByLabelText('Actions for dataset Lone'));
    fireEvent.click(ui.getByRole('menuitem', { name: 'Export…' }));
    expect(onExport.mock.calls).toEqual([[{ taskId: 'signs' }], [{ datasetId: 'lone' }]]);
    // Choosing closes the menu and gives the focus back to its button.
    expect(ui.queryByRole('menu')).toBeNull();
    expect(document.activeElement).toBe(ui.getByLabelText('Actions for dataset Lone'));
  });

  it('opens on its first item with ArrowDown, and Escape closes it onto its button', () => {
    const { view } = show();
    const ui = within(view.container as HTMLElement);
    const button = ui.getByLabelText('Actions for task Objects');
    fireEvent.keyDown(button, { key: 'ArrowDown' });
    expect(button.getAttribute('aria-expanded')).toBe('true');
    expect(document.activeElement?.textContent).toBe('Export…');
    // One item: the arrows, Home and End stay on it.
    for (const key of ['ArrowDown', 'ArrowUp', 'Home', 'End']) {
      fireEvent.keyDown(ui.getByRole('menu'), { key });
      expect(document.activeElement?.textContent).toBe('Export…');
    }
    fireEvent.keyDown(ui.getByRole('menu'), { key: 'Escape' });
    expect(ui.queryByRole('menu')).toBeNull();
    expect(document.activeElement).toBe(button);
  });

  it('closes on a click elsewhere', () => {
    const { view } = show();
    const ui = within(view.container as HTMLElement);
    fireEvent.click(ui.getByLabelText('Actions for task Objects'));
    expect(ui.getByRole('menu')).toBeTruthy();
    fireEvent.mouseDown(document.body);
    expect(ui.queryByRole('menu')).toBeNull();
  });
});

describe('a menu of several items', () => {
  it('moves with the arrows round its ends, jumps with Home and End, and Tab leaves it', () => {
    const chosen: string[] = [];
    const items = ['Open', 'Copy', 'Export…'].map((label) => ({
      label,
      onSelect: () => chosen.push(label),
    }));
    const view = render(h(ActionMenu, { label: 'Actions for it', items }));
    const ui = within(view.container as HTMLElement);
    fireEvent.keyDown(ui.getByRole('button'), { key: 'ArrowDown' });
    const focusAfter = (key: string) => {
      fireEvent.keyDown(ui.getByRole('menu'), { key });
      return document.activeElement?.textContent;
    };
    expect(['ArrowUp', 'ArrowUp', 'ArrowDown', 'ArrowDown', 'Home', 'End'].map(focusAfter)).toEqual(
      ['Export…', 'Copy', 'Export…', 'Open', 'Open', 'Export…'],
    );
    fireEvent.keyDown(ui.getByRole('menu'), { key: 'Tab' });
    expect(ui.queryByRole('menu')).toBeNull();
    fireEvent.click(ui.getByRole('button'));
    fireEvent.click(ui.getByRole('menuitem', { name: 'Copy' }));
    expect(chosen).toEqual(['Copy']);
  });
});

it('says the tasks are loading until they are there', () => {
  const { view } = show(null);
  expect(within(view.container as HTMLElement).getByRole('status').textContent).toBe(
    'Loading tasks…',
  );
});
