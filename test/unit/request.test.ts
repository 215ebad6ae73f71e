import { describe, expect, expectTypeOf, it } from 'vitest';
import { ValidationError } from '../../shared/errors';
import { FORMAT_IDS } from '../../shared/formats/index';
import type { MaskKind } from '../../shared/formats/types';
import {
  validateRequest,
  type exportRequestSchema,
  type Encryption,
  type ExportRequest,
  type ExportType,
} from '../../shared/exports/request';
import type { Split } from '../../shared/split/index';
import { subsets } from '../helpers/api';

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
  it('accepts a request with every field of its type', () => {
    // Every field of ExportRequest (the type check fails on one missing) and no other (the schema
    // would name it as unknown).
    const full: Required<ExportRequest> = {
      name: 'n',
      type: 'both',
      taskId: 't',
      format: 'masks',
      maskKind: 'instance',
      datasetIds: ['a'],
      dateRange: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' },
      split: { subsets: subsets({ train: 80, val: 20 }), seed: 3, mode: 'stable' },
      password: 'p4ss word!',
      encryption: 'zipcrypto',
    };
    expect(problems(full)).toEqual([]);
  });

  it('names an unknown field with NUL or a quote in it escaped, as the message shows it', () => {
    const body = JSON.parse('{"type":"datasets","datasetIds":["d"],"na\\u0000me":1,"a\\"b":2}');
    expect(problems(body)).toEqual([
      'request has an unknown field "na\\u0000me"',
      'request has an unknown field "a\\"b"',
    ]);
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
});

describe('export request validation: rules between fields', () => {
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

/** The keys of T that are not optional. */
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];

describe('ExportRequest', () => {
  // Checked by the type check (tsc), which fails when the type is not what the schema says.
  it('is the type of the schema: its fields, only `type` required, enums as unions', () => {
    expectTypeOf<keyof ExportRequest>().toEqualTypeOf<
      keyof typeof exportRequestSchema.properties
    >();
    expectTypeOf<RequiredKeys<ExportRequest>>().toEqualTypeOf<'type'>();
    expectTypeOf<ExportRequest['type']>().toEqualTypeOf<ExportType>();
    expectTypeOf<ExportRequest['maskKind']>().toEqualTypeOf<MaskKind | undefined>();
    expectTypeOf<ExportRequest['encryption']>().toEqualTypeOf<Encryption | undefined>();
    expectTypeOf<ExportRequest['format']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<ExportRequest['datasetIds']>().toEqualTypeOf<string[] | undefined>();
    expectTypeOf<ExportRequest['dateRange']>().toEqualTypeOf<
      { from?: string; to?: string } | undefined
    >();
    expectTypeOf<ExportRequest['split']>().toEqualTypeOf<Split | undefined>();
    expectTypeOf<ExportRequest['password']>().toEqualTypeOf<string | undefined>();
  });
});
