/**
 * How many shards run at once: the Distributed Map's child concurrency. The ASL reads it from
 * its `${ShardConcurrency}` placeholder, which the CDK stack binds to the `shardConcurrency`
 * setting and the local runner to this default, as each binds the function ARNs.
 */
export const SHARD_CONCURRENCY_PLACEHOLDER = 'ShardConcurrency';

/**
 * Set by S3's request rate, not Lambda's concurrency: every shard of a dataset reads its media
 * from one key prefix, which S3 serves at 5,500 GETs per second until it partitions the prefix
 * further under sustained load. A shard keeps 8 GETs in flight (shared/pipeline/segment-writer.ts),
 * some 300-400 per second at S3's latency, so 32 shards ask for two to three times that rate: the
 * prefix is kept busy, and SlowDown answers stay few enough for the SDK's retries (BENCHMARKS.md,
 * "At AWS scale, on paper"). More shards at once would not read the media sooner.
 */
export const DEFAULT_SHARD_CONCURRENCY = 32;

/** A Distributed Map runs at most this many child executions at once. */
export const MAX_SHARD_CONCURRENCY = 10_000;
