import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  type LifecycleRule,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface PrivateBucketProps {
  /** Where S3 writes this bucket's server access logs; absent only for the log bucket itself. */
  accessLogs?: { bucket: IBucket; prefix: string };
  lifecycleRules?: LifecycleRule[];
  removalPolicy: RemovalPolicy;
}

/**
 * The only kind of bucket the stack makes: encrypted at rest (SSE-S3: no key to pay for or rotate),
 * every form of public access blocked, ACLs disabled, TLS 1.2+ required by the bucket policy.
 * Multipart uploads that never complete (a package function killed mid-archive) are cleaned up.
 */
export class PrivateBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: PrivateBucketProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: props.accessLogs?.bucket,
      serverAccessLogsPrefix: props.accessLogs?.prefix,
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        ...(props.lifecycleRules ?? []),
      ],
      removalPolicy: props.removalPolicy,
    });
  }
}
