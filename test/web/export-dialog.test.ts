// @vitest-environment happy-dom
/**
 * The new-export dialog's rules, in a DOM: the formats offered per task type, the split's running
 * total, the password confirmation, and the name, editable until the export starts and fixed after.
 */
import { cleanup, fireEvent, render, waitFor, within } from '@testing-library/preact';
import { h } from 'preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatTable } from '../../shared/formats/index';
import { ApiError, type ApiClient } from '../../web/src/api';
import { ExportDialog } from '../../web/src/export-dialog';
import { requestOf, type DialogContext, type DialogPreset } from '../../web/src/rules';
import type { ExportRequestBody, ExportRow, TaskSummary } from '../../web/src/types';

const datasets = [
  { id: 'streets', name: 'Streets', media: 'image' as const },
  { id: 'parks', name: 'Parks', media: 'image' as const },
  { id: 'clips', name: 'Clips', media: 'video' as const },
];
const task = (id: string, name: string, type: TaskSummary['type'], media: 'image' | 'video') => ({
  id,
  name,
  type,
  media,
  classes: [{ id: 1, name: 'car', parent_id: null }],
  datasets: media === 'image' ? datasets.slice(0, 2) : datasets.slice(2),
});
const tasks: TaskSummary[] = [
  task('scenes', 'Scenes', 'classification', 'image'),
  task('objects', 'Objects', 'object_detection', 'image'),
  task('regions', 'Regions', 'semantic_segmentation', 'image'),
  task('instances', 'Instances', 'instance_segmentation', 'image'),
  task('tracks', 'Tracks', 'instance_segmentation', 'video'),
];
const context: DialogContext = {
  project: { id: 'p1', name: 'City' },
  tasks,
  datasets,
  // GET /formats answers the registry's table.
  formats: JSON.parse(JSON.stringify(formatTable())),
  now: () => new Date('2026-03-04T05:06:07Z'),
};

afterEach(cleanup);

function fakeApi(create: (body: ExportRequestBody) => Promise<ExportRow>) {
  const createExport = vi.fn((_project: string, body: ExportRequestBody) => create(body));
  return { api: { createExport } as unknown as ApiClient, createExport };
}

function open(preset: DialogPreset, api = fakeApi(() => new Promise(() => undefined)).api) {
  const onClose = vi.fn();
  const onCreated = vi.fn();
  const view = render(h(ExportDialog, { api, context, preset, onClose, onCreated }));
  const dialog = view.container.querySelector('dialog')!;
  return { view, dialog, onClose, onCreated, ui: within(dialog as HTMLElement) };
}

const options = (select: HTMLElement) =>
  [...(select as HTMLSelectElement).options].map((o) => o.value);
const select = (element: HTMLElement, value: string) =>
  fireEvent.change(element, { target: { value } });
const type = (element: HTMLElement, value: string) =>
  fireEvent.input(element, { target: { value } });

describe('the formats offered', () => {
  it.each([
    ['scenes', ['csv', 'innotescus_json']],
    [
      'objects',
      [
        'coco',
        'coco_metadata',
        'csv',
        'innotescus_json',
        'pascal_voc',
        'yolo_darknet',
        'yolo_keras',
        'yolo_ultralytics',
        'kitti',
      ],
    ],
    [
      'regions',
      [
        'coco',
        'coco_metadata',
        'csv',
        'innotescus_json',
        'masks',
        'yolo_darknet',
        'yolo_keras',
        'yolo_ultralytics',
        'kitti',
      ],
    ],
    ['tracks', ['coco', 'coco_metadata', 'innotescus_json', 'masks']],
  ])('for task %s are exactly those GET /formats gives its type and media', (taskId, expected) => {
    const { ui } = open({ taskId });
    expect(options(ui.getByLabelText('Format'))).toEqual(expected);
  });

  it('follow the task when it changes, and masks offer the mask kinds of the task type', () => {
    const { ui } = open({ taskId: 'objects' });
    select(ui.getByLabelText('Format'), 'pascal_voc');
    select(ui.getByLabelText(/^Task/), 'regions');
    // Pascal VOC is not offered for segmentation: the first offered format takes its place.
    expect((ui.getByLabelText('Format') as HTMLSelectElement).value).toBe('coco');
    select(ui.getByLabelText('Format'), 'masks');
    expect(options(ui.getByLabelText('Mask kind'))).toEqual([
      'aggregated_class',
      'individual_class',
    ]);
    select(ui.getByLabelText(/^Task/), 'instances');
    expect(options(ui.getByLabelText('Mask kind'))).toEqual([
      'aggregated_class',
      'individual_class',
      'instance',
    ]);
  });

  it('are none for an images-only export, which needs no task', () => {
    const { ui, dialog } = open({ datasetId: 'parks' });
    expect(ui.queryByLabelText('Format')).toBeNull();
    const boxes = [...dialog.querySelectorAll('.checks input')];
    expect(
      boxes.map((b) => [(b as HTMLInputElement).value, (b as HTMLInputElement).checked]),
    ).toEqual([
      ['streets', false],
      ['parks', true],
      ['clips', false],
    ]);
  });
});

describe('the split', () => {
  it('keeps a running total and refuses to send one that is not 100', async () => {
    const { api, createExport } = fakeApi(() => new Promise(() => undefined));
    const { ui } = open({ taskId: 'objects' }, api);
    fireEvent.click(ui.getByLabelText('Split my export into subsets'));
    expect(ui.getByText('Total 100 %')).toBeTruthy();
    type(ui.getByLabelText('Share of subset 1, percent'), '70');
    expect(ui.getByText('Total 90 % (must be 100 %)')).toBeTruthy();
    fireEvent.click(ui.getByText('Add subset'));
    type(ui.getByLabelText('Name of subset 3'), 'test');
    type(ui.getByLabelText('Share of subset 3, percent'), '5');
    expect(ui.getByText('Total 95 % (must be 100 %)')).toBeTruthy();
    fireEvent.submit(ui.getByText('Start export').closest('form')!);
    expect(await ui.findByText('The shares add up to 95 %, not 100 %.')).toBeTruthy();
    expect(createExport).not.toHaveBeenCalled();
    type(ui.getByLabelText('Share of subset 2, percent'), '25');
    expect(ui.getByText('Total 100 %')).toBeTruthy();
    fireEvent.submit(ui.getByText('Start export').closest('form')!);
    await waitFor(() => expect(createExport).toHaveBeenCalledTimes(1));
    expect(createExport.mock.calls[0]![1].split).toEqual({
      subsets: [
        { name: 'train', percent: 70 },
        { name: 'val', percent: 25 },
        { name: 'test', percent: 5 },
      ],
      seed: 0,
      mode: 'random',
    });
  });

  it('refuses subset names the API refuses, and names used twice', async () => {
    const { api, createExport } = fakeApi(() => new Promise(() => undefined));
    const { ui } = open({ taskId: 'objects' }, api);
    fireEvent.click(ui.getByLabelText('Split my export into subsets'));
    type(ui.getByLabelText('Name of subset 2'), 'Train Set');
    fireEvent.submit(ui.getByText('Start export').closest('form')!);
    expect(await ui.findByText(/“Train Set”: names are 1 to 32 characters/)).toBeTruthy();
    type(ui.getByLabelText('Name of subset 2'), 'train');
    fireEvent.submit(ui.getByText('Start export').closest('form')!);
    expect(await ui.findByText('“train” is named twice.')).toBeTruthy();
    expect(createExport).not.toHaveBeenCalled();
  });
});

describe('the password', () => {
  it('must be typed twice alike, and be printable ASCII', async () => {
    const { api, createExport } = fakeApi(() => new Promise(() => undefined));
    const { ui } = open({ taskId: 'objects' }, api);
    const password = ui.getByLabelText('Password');
    type(password, 'open sesame');
    type(ui.getByLabelText('Confirm password'), 'open sesam');
    fireEvent.submit(ui.getByText('Start export').closest('form')!);
    expect(await ui.findByText('The two passwords differ.')).toBeTruthy();
    expect(ui.getByLabelText('Confirm password').getAttribute('aria-invalid')).toBe('true');
    type(password, 'pässword');
    type(ui.getByLabelText('Confirm password'), 'pässword');
    fireEvent.submit(ui.getByText('Start export').closest('form')!);
    expect(await ui.findByText(/printable ASCII characters/)).toBeTruthy();
    expect(createExport).not.toHaveBeenCalled();
    // AES-256 passwords stop at 99 characters, which 7-Zip still opens; ZipCrypto takes 128.
    type(password, 'x'.repeat(100));
    type(ui.getByLabelText('Confirm password'), 'x'.repeat(100));
    fireEvent.submit(ui.getByText('Start export').closest('form')!);
    expect(await ui.findByText(/AES-256 passwords have at most 99 characters/)).toBeTruthy();
    expect(createExport).not.toHaveBeenCalled();
    type(password, 'open sesame');
    type(ui.getByLabelText('Confirm password'), 'open sesame');
    // ZipCrypto is there, with the reason one would choose it.
    expect(ui.getByText(/only when the zip must open in Windows Explorer/)).toBeTruthy();
    fireEvent.click(ui.getByLabelText(/^ZipCrypto/));
    fireEvent.submit(ui.getByText('Start export').closest('form')!);
    await waitFor(() => expect(createExport).toHaveBeenCalledTimes(1));
    expect(createExport.mock.calls[0]![1]).toMatchObject({
      password: 'open sesame',
      encryption: 'zipcrypto',
    });
  });
});

describe('the name', () => {
  it('follows task and format until edited, and is read-only once the export starts', async () => {
    let answer!: (row: ExportRow) => void;
    const { api, createExport } = fakeApi(
      () => new Promise<ExportRow>((resolve) => (answer = resolve)),
    );
    const { ui, onCreated, onClose } = open({ taskId: 'objects' }, api);
    const name = ui.getByLabelText('Export name') as HTMLInputElement;
    expect(name.value).toBe('City-Objects-coco-20260304-0506');
    select(ui.getByLabelText('Format'), 'kitti');
    expect(name.value).toBe('City-Objects-kitti-20260304-0506');
    // A name with a character no one can see is refused before it is sent.
    type(name, 'nightly\u202etraining');
    fireEvent.submit(ui.getByText('Start export').closest('form')!);
    expect(await ui.findByText(/invisible character \(U\+202E\)/)).toBeTruthy();
    expect(createExport).not.toHaveBeenCalled();
    type(name, 'nightly training set');
    select(ui.getByLabelText('Format'), 'csv');
    expect(name.value).toBe('nightly training set');
    expect(name.readOnly).toBe(false);
    fireEvent.submit(ui.getByText('Start export').closest('form')!);
    await waitFor(() => expect(createExport).toHaveBeenCalledTimes(1));
    // Sent as shown, and fixed from then on.
    expect(createExport.mock.calls[0]![1].name).toBe('nightly training set');
    expect(name.readOnly).toBe(true);
    expect((ui.getByText('Starting…') as HTMLButtonElement).disabled).toBe(true);
    answer({ id: 'e1', name: 'nightly training set', status: 'QUEUED' } as ExportRow);
    await waitFor(() =>
      expect(onCreated).toHaveBeenCalledWith(expect.objectContaining({ id: 'e1' })),
    );
    expect(onClose).toHaveBeenCalled();
  });
});

describe('a refusal by the API', () => {
  it('lists each problem beside the field it names', async () => {
    const { api } = fakeApi(() =>
      Promise.reject(
        new ApiError(400, 'ValidationError', 'the request has 2 problems', [
          'format "kitti" is not available for classification tasks; allowed formats: csv, innotescus_json',
          'name must NOT have more than 128 characters',
          'something else entirely',
        ]),
      ),
    );
    const { ui } = open({ taskId: 'objects' }, api);
    fireEvent.submit(ui.getByText('Start export').closest('form')!);
    const problem = await ui.findByText(/format "kitti" is not available/);
    expect(problem.closest('.field')!.querySelector('label')!.textContent).toBe('Format');
    expect(ui.getByLabelText('Format').getAttribute('aria-invalid')).toBe('true');
    expect(ui.getByLabelText('Format').getAttribute('aria-describedby')).toContain(
      problem.closest('ul')!.id,
    );
    expect(
      ui
        .getByText(/name must NOT have/)
        .closest('.field')!
        .querySelector('label')!.textContent,
    ).toBe('Export name');
    expect(ui.getByRole('alert').textContent).toContain('something else entirely');
    // The form can be corrected and sent again.
    expect((ui.getByText('Start export') as HTMLButtonElement).disabled).toBe(false);
  });
});

describe('the request', () => {
  it('leaves out what the API defaults, and sends dates as instants', () => {
    const draft = {
      type: 'both' as const,
      taskId: 'objects',
      format: 'coco',
      maskKind: '',
      datasetIds: ['streets', 'parks'],
      from: '2026-01-01T00:00',
      to: '',
      split: false,
      subsets: [],
      seed: '0',
      mode: 'random' as const,
      name: ' x ',
      nameEdited: true,
      password: '',
      confirm: '',
      encryption: 'aes256' as const,
    };
    expect(requestOf(context, draft)).toEqual({
      name: 'x',
      type: 'both',
      taskId: 'objects',
      format: 'coco',
      dateRange: { from: new Date('2026-01-01T00:00').toISOString() },
    });
    expect(requestOf(context, { ...draft, datasetIds: ['parks'] }).datasetIds).toEqual(['parks']);
  });
});
