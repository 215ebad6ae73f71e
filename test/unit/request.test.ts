import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/errors';
import { FORMAT_IDS } from '../../shared/formats/index';
import { validateRequest } from '../../shared/exports/request';

const problems = (body: unknown): string[] => {
  try {
    validateRequest(body);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).details;
  }
  return [];
};

describe('export request validation', () => {
  it('accepts a full request', () => {
    expect(
      problems({
        name: 'n',
        type: 'both',
        taskId: 't',
        format: 'masks',
        maskKind: 'instance',
        datasetIds: ['a'],
        dateRange: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' },
        split: {
          subsets: [
            { name: 'train', percent: 80 },
            { name: 'val', percent: 20 },
          ],
          seed: 3,
          mode: 'stable',
        },
        password: 'p4ss word!',
        encryption: 'zipcrypto',
      }),
    ).toEqual([]);
  });

  it('accepts every format of the registry, yolo_ultralytics among them', () => {
    expect(FORMAT_IDS).toContain('yolo_ultralytics');
    expect(problems({ type: 'both', taskId: 't', format: 'yolo_ultralytics' })).toEqual([]);
  });

  it('lists every problem at once, schema and rules together, formats from the registry', () => {
    expect(
      problems({
        type: 'all',
        format: 'tiff',
        name: '',
        colour: 'red',
        password: 'ümlaut',
        maskKind: 'instance',
      }),
    ).toEqual([
      'request has an unknown field "colour"',
      'name must NOT have fewer than 1 characters',
      'type must be one of annotations, datasets, both',
      `format must be one of ${FORMAT_IDS.join(', ')}`,
      'password must be 1-128 printable ASCII characters',
      'maskKind is only allowed with the masks format',
    ]);
  });

  it('checks the rules between fields', () => {
    expect(problems({ type: 'annotations', maskKind: 'instance', encryption: 'aes256' })).toEqual([
      'taskId is required for type annotations',
      'format is required for type annotations',
      'maskKind is only allowed with the masks format',
      'encryption needs a password',
    ]);
    expect(problems({ type: 'datasets', format: 'coco' })).toEqual([
      'datasetIds is required for type datasets without taskId',
      'format is not allowed for type datasets',
    ]);
    expect(problems({ type: 'annotations', taskId: 't', format: 'masks' })).toEqual([
      'maskKind is required with the masks format',
    ]);
  });

  it('checks date ranges and splits', () => {
    expect(
      problems({
        type: 'datasets',
        taskId: 't',
        dateRange: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' },
        split: {
          subsets: [
            { name: 'train', percent: 70 },
            { name: 'train', percent: 20 },
          ],
        },
      }),
    ).toEqual([
      'dateRange.from must be before dateRange.to',
      'split.subsets[1].name "train" is used by an earlier subset',
      'split.subsets percents must sum to 100, not 90',
    ]);
  });
});
