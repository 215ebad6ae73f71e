import { describe, expect, it } from 'vitest';
import type { ExportRecord } from '../../../shared/exports/record';
import { masks } from '../../../shared/formats/masks';
import { yoloDarknet } from '../../../shared/formats/yolo-darknet';
import type { Dataset } from '../../../shared/model/types';
import { buildManifest } from '../../../shared/pipeline/manifest';
import type { Plan, ShardStats } from '../../../shared/pipeline/work';
import { PACKAGE } from '../../../shared/version';
import { aTask } from '../../helpers/builders';

const CREATED_AT = '2024-05-06T07:08:09.000Z';

function aDataset(id: string, name: string): Dataset {
  return { id, name, media: 'image', item_metadata_definitions: [] };
}

/** Two datasets split into train and val: four shards, one per (dataset, subset). */
function aPlan(fields: Partial<Plan> = {}): Plan {
  return {
    exportId: '20240506T070809000Z-0a1b2c3d',
    projectId: 'sample',
    exportName: 'street export',
    createdAt: CREATED_AT,
    type: 'both',
    format: 'yolo_darknet',
    maskKind: null,
    task: aTask({ id: 'detect', name: 'Detect', dataset_ids: ['streets', 'parks'] }),
    datasets: [
      { dataset: aDataset('streets', 'Streets: day'), folder: 'Streets_ day' },
      { dataset: aDataset('parks', 'Parks'), folder: 'Parks' },
    ],
    subsets: ['train', 'val'],
    shards: [
      { index: 0, datasetId: 'streets', subset: 'train', items: 3 },
      { index: 1, datasetId: 'streets', subset: 'val', items: 1 },
      { index: 2, datasetId: 'parks', subset: 'train', items: 2 },
      { index: 3, datasetId: 'parks', subset: 'val', items: 1 },
    ],
    ...fields,
  };
}

const STATS: ShardStats[] = [
  { index: 0, items: 3, annotations: 5, warnings: ['a.jpg frame 0: zero-area box skipped'] },
  { index: 1, items: 1, annotations: 0, warnings: [] },
  { index: 2, items: 2, annotations: 4, warnings: ['p.jpg frame 0: Tag skipped'] },
  { index: 3, items: 1, annotations: 1, warnings: [] },
];

/** buildManifest reads only the record's encryption. */
function aRecord(fields: Partial<Pick<ExportRecord, 'encryption'>> = {}) {
  return { encryption: null, ...fields };
}

describe('buildManifest', () => {
  it('says what was exported, with counts per dataset, per subset and in total', () => {
    expect(buildManifest(aPlan(), aRecord({ encryption: 'aes256' }), STATS)).toEqual({
      id: '20240506T070809000Z-0a1b2c3d',
      name: 'street export',
      project: 'sample',
      task: { id: 'detect', name: 'Detect', type: 'object_detection' },
      format: 'yolo_darknet',
      format_version: yoloDarknet.version,
      maskKind: null,
      type: 'both',
      created_at: CREATED_AT,
      encryption: { method: 'aes256' },
      datasets: [
        { id: 'streets', name: 'Streets: day', folder: 'Streets_ day', items: 4, annotations: 5 },
        { id: 'parks', name: 'Parks', folder: 'Parks', items: 3, annotations: 5 },
      ],
      subsets: [
        { name: 'train', items: 5, annotations: 9 },
        { name: 'val', items: 2, annotations: 1 },
      ],
      totals: { items: 7, annotations: 10 },
      warnings: ['a.jpg frame 0: zero-area box skipped', 'p.jpg frame 0: Tag skipped'],
      generator: { name: PACKAGE.name, version: PACKAGE.version },
    });
  });

  it('writes the format version right after the format, the fields before it unchanged', () => {
    const manifest = buildManifest(aPlan(), aRecord(), STATS);
    expect(Object.keys(manifest)).toEqual([
      'id',
      'name',
      'project',
      'task',
      'format',
      'format_version',
      'maskKind',
      'type',
      'created_at',
      'encryption',
      'datasets',
      'subsets',
      'totals',
      'warnings',
      'generator',
    ]);
  });

  it("names the masks format's version beside the mask kind", () => {
    const plan = aPlan({
      format: 'masks',
      maskKind: 'instance',
      task: aTask({ type: 'instance_segmentation' }),
    });
    const manifest = buildManifest(plan, aRecord(), STATS);
    expect(manifest).toMatchObject({
      format: 'masks',
      format_version: masks.version,
      maskKind: 'instance',
    });
  });

  it('has no format and no format version when only datasets are exported', () => {
    const plan = aPlan({ type: 'datasets', format: null, task: null, subsets: null });
    const manifest = buildManifest(plan, aRecord(), STATS);
    expect(manifest).toMatchObject({ format: null, format_version: null, task: null });
    expect(manifest.subsets).toBeNull();
    expect(manifest.totals).toEqual({ items: 7, annotations: 10 });
  });
});
