import { type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ExportFunction } from './export-function';

/**
 * Key patterns inside one bucket. A pattern ending in `/` is a whole prefix (`work/` covers
 * `work/*`); any other pattern is used as written (`exports/*\/*\/record.json`).
 */
export interface BucketAccess {
  read?: string[];
  write?: string[];
  delete?: string[];
  /** Multipart uploads of these keys may be aborted (without writing them). */
  abortUploads?: string[];
}

function keyPattern(pattern: string): string {
  return pattern.endsWith('/') ? `${pattern}*` : pattern;
}

function objectArns(bucket: IBucket, patterns: string[]): string[] {
  return patterns.map((p) => bucket.arnForObjects(keyPattern(p)));
}

/**
 * A key pattern is a wildcard by nature (object keys hold export and project ids that exist
 * only at run time), which AwsSolutions-IAM5 reports once per pattern; each is acknowledged by
 * the finding's exact id, so that any other wildcard still fails the check.
 */
function acknowledgeKeyPatterns(fn: ExportFunction, bucket: IBucket, patterns: string[]): void {
  const cfnBucket = bucket.node.defaultChild as CfnResource;
  const logicalId = Stack.of(bucket).resolve(cfnBucket.logicalId) as string;
  for (const pattern of new Set(patterns.map(keyPattern))) {
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${pattern}]`,
      reason: `Access is limited to the keys ${pattern} of one bucket; the ids in those keys exist only at run time.`,
    });
  }
}

/**
 * Gives a function exactly the keys it uses in a bucket and sets the environment variable that
 * names the bucket, together, so that no function knows a bucket it may not use or is allowed
 * into one it does not know. Every function reads both bucket names at start-up, so a function
 * may be bound with no access at all.
 */
export function bindBucket(
  fn: ExportFunction,
  bucket: IBucket,
  envVar: string,
  access: BucketAccess = {},
): void {
  fn.handler.addEnvironment(envVar, bucket.bucketName);
  const { read = [], write = [], delete: remove = [], abortUploads = [] } = access;
  if (read.length > 0) {
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: objectArns(bucket, read) }),
    );
  }
  if (write.length > 0) {
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        // Large objects go up as multipart uploads, which must be abortable when they fail.
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: objectArns(bucket, write),
      }),
    );
  }
  if (remove.length > 0) {
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:DeleteObject'], resources: objectArns(bucket, remove) }),
    );
  }
  if (abortUploads.length > 0) {
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:AbortMultipartUpload'],
        resources: objectArns(bucket, abortUploads),
      }),
    );
  }
  acknowledgeKeyPatterns(fn, bucket, [...read, ...write, ...remove, ...abortUploads]);
  if (read.length > 0 || remove.length > 0) {
    // Listing serves two needs: deleting a prefix means listing it first, and S3 answers a
    // missing key with 404 (NoSuchKey, which the code maps to NotFoundError and HTTP 404) only
    // to a caller that may list the bucket; otherwise it answers 403. Listing shows key names,
    // never contents.
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
    );
  }
}
