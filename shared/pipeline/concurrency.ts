/**
 * How many shards run at once: the Distributed Map's child concurrency. The ASL reads it from
 * its `${ShardConcurrency}` placeholder, which the CDK stack binds to the `shardConcurrency`
 * setting and the local runner to this default, as each binds the function ARNs.
 */
export const SHARD_CONCURRENCY_PLACEHOLDER = 'ShardConcurrency';

/**
 * A tenth of an account's default Lambda concurrency (1,000): 2,000 shards of a million-image
 * export run in 20 waves, and the API and other exports keep room to run.
 */
export const DEFAULT_SHARD_CONCURRENCY = 100;

/** A Distributed Map runs at most this many child executions at once. */
export const MAX_SHARD_CONCURRENCY = 10_000;
