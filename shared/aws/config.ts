/** Configuration read once from the environment, typed, failing fast (DESIGN §14). */
export interface Config {
  /** Project store (`projects/`, read-only here) and export requests (`requests/`). */
  dataBucket: string;
  /** Staged parts (`work/`), passwords (`secrets/`), archives and records (`exports/`). */
  exportBucket: string;
  /** Most items in one shard of the state machine's Map. */
  shardItems: number;
  /** The export state machine, for whoever starts executions. */
  stateMachineArn: string;
  /** Days the export bucket keeps archives and records (its lifecycle rule), for `expires_at`. */
  exportRetentionDays: number;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const missing: string[] = [];
  const need = (name: string): string => {
    const value = env[name];
    if (!value) missing.push(name);
    return value ?? '';
  };
  const config: Config = {
    dataBucket: need('DATA_BUCKET'),
    exportBucket: need('EXPORT_BUCKET'),
    shardItems: Number(env.SHARD_ITEMS ?? 500),
    stateMachineArn: env.STATE_MACHINE_ARN ?? '',
    exportRetentionDays: Number(env.EXPORT_RETENTION_DAYS ?? 30),
  };
  if (missing.length > 0) throw new Error(`missing environment variables: ${missing.join(', ')}`);
  if (!Number.isInteger(config.shardItems) || config.shardItems < 1) {
    throw new Error(`SHARD_ITEMS must be a positive integer, not ${env.SHARD_ITEMS}`);
  }
  if (!Number.isInteger(config.exportRetentionDays) || config.exportRetentionDays < 1) {
    throw new Error(
      `EXPORT_RETENTION_DAYS must be a positive integer, not ${env.EXPORT_RETENTION_DAYS}`,
    );
  }
  return config;
}
