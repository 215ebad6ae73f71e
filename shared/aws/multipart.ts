import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { NotFoundError, classifyAwsError } from '../errors';
import { isMissing, type ByteRange } from './s3';

/**
 * The S3 verbs of a multipart upload assembled part by part: parts uploaded from memory, parts
 * copied by S3 itself from other objects (UploadPartCopy: no byte passes through the caller).
 * Ranged reads of the objects being joined are `getStream` with a range.
 */

/** One object of a multipart upload, once created. */
export interface MultipartUpload {
  bucket: string;
  key: string;
  uploadId: string;
}

/** A finished part: its number (1-10,000, in the object's order) and the ETag S3 gave it. */
export interface UploadedPart {
  partNumber: number;
  etag: string;
}

function isNoSuchUpload(error: unknown): boolean {
  return (error as { name?: string })?.name === 'NoSuchUpload';
}

/** `bucket/key` with the key's characters escaped as UploadPartCopy's CopySource header wants. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

export async function createMultipartUpload(
  s3: S3Client,
  bucket: string,
  key: string,
  contentType = 'application/octet-stream',
): Promise<MultipartUpload> {
  try {
    const response = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }),
    );
    return { bucket, key, uploadId: response.UploadId! };
  } catch (error) {
    throw classifyAwsError(error, `starting the upload of ${key}`);
  }
}

/** Uploads one part from memory. */
export async function uploadPart(
  s3: S3Client,
  upload: MultipartUpload,
  partNumber: number,
  body: Uint8Array,
): Promise<UploadedPart> {
  try {
    const response = await s3.send(
      new UploadPartCommand({
        Bucket: upload.bucket,
        Key: upload.key,
        UploadId: upload.uploadId,
        PartNumber: partNumber,
        Body: body,
        ContentLength: body.byteLength,
      }),
    );
    return { partNumber, etag: response.ETag! };
  } catch (error) {
    throw classifyAwsError(error, `uploading part ${partNumber} of ${upload.key}`);
  }
}

/** Makes a part of a range of another object, copied inside S3 (at most 5 GiB a part). */
export async function uploadPartCopy(
  s3: S3Client,
  upload: MultipartUpload,
  partNumber: number,
  source: { bucket: string; key: string; range: ByteRange },
): Promise<UploadedPart> {
  try {
    const response = await s3.send(
      new UploadPartCopyCommand({
        Bucket: upload.bucket,
        Key: upload.key,
        UploadId: upload.uploadId,
        PartNumber: partNumber,
        CopySource: copySource(source.bucket, source.key),
        CopySourceRange: `bytes=${source.range.start}-${source.range.end}`,
      }),
    );
    return { partNumber, etag: response.CopyPartResult!.ETag! };
  } catch (error) {
    if (isMissing(error)) throw new NotFoundError(`${source.key} does not exist`, { cause: error });
    throw classifyAwsError(error, `copying ${source.key} into part ${partNumber} of ${upload.key}`);
  }
}

/** Joins the parts (in part-number order, whatever order they were made in) into the object. */
export async function completeMultipartUpload(
  s3: S3Client,
  upload: MultipartUpload,
  parts: UploadedPart[],
): Promise<void> {
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  try {
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: upload.bucket,
        Key: upload.key,
        UploadId: upload.uploadId,
        MultipartUpload: {
          Parts: sorted.map(({ partNumber, etag }) => ({ PartNumber: partNumber, ETag: etag })),
        },
      }),
    );
  } catch (error) {
    throw classifyAwsError(error, `completing the upload of ${upload.key}`);
  }
}

/** Drops an upload and the parts it holds; one that is already gone is not an error. */
export async function abortMultipartUpload(s3: S3Client, upload: MultipartUpload): Promise<void> {
  try {
    await s3.send(
      new AbortMultipartUploadCommand({
        Bucket: upload.bucket,
        Key: upload.key,
        UploadId: upload.uploadId,
      }),
    );
  } catch (error) {
    if (isNoSuchUpload(error) || isMissing(error)) return;
    throw classifyAwsError(error, `abandoning the upload of ${upload.key}`);
  }
}
