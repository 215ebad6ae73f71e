import type { ExportRecord } from '../exports/record';
import { findFormat } from '../formats/index';
import { PACKAGE } from '../version';
import type { Plan, ShardStats } from './work';

export const GENERATOR = PACKAGE;

/**
 * manifest.json (DESIGN §7.10): what was exported, with counts per dataset and per subset.
 * `format_version` is the version of the layout the format was written in (null without a
 * format), so that a reader can tell which layout an archive holds.
 */
export function buildManifest(
  plan: Plan,
  record: Pick<ExportRecord, 'encryption'>,
  stats: ShardStats[],
) {
  const count = (filter: (shard: Plan['shards'][number]) => boolean) => {
    let items = 0;
    let annotations = 0;
    for (const s of stats) {
      if (!filter(plan.shards[s.index]!)) continue;
      items += s.items;
      annotations += s.annotations;
    }
    return { items, annotations };
  };
  return {
    id: plan.exportId,
    name: plan.exportName,
    project: plan.projectId,
    task: plan.task ? { id: plan.task.id, name: plan.task.name, type: plan.task.type } : null,
    format: plan.format,
    format_version: plan.format ? (findFormat(plan.format)?.version ?? null) : null,
    maskKind: plan.maskKind,
    type: plan.type,
    created_at: plan.createdAt,
    encryption: record.encryption ? { method: record.encryption } : null,
    datasets: plan.datasets.map(({ dataset, folder }) => ({
      id: dataset.id,
      name: dataset.name,
      folder,
      ...count((s) => s.datasetId === dataset.id),
    })),
    subsets: plan.subsets?.map((name) => ({ name, ...count((s) => s.subset === name) })) ?? null,
    totals: count(() => true),
    warnings: stats.flatMap((s) => s.warnings),
    generator: GENERATOR,
  };
}
