import { readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { createS3Client } from '../shared/aws/s3';
import { importCoco, type CocoImportOptions, type CocoImportResult } from '../shared/import/coco';
import { parseJson } from '../shared/model/validate';
import { safeProjectId } from '../shared/store/segments';
import { StoreWriter } from '../shared/store/writer';
import { LOCAL_BUCKETS, LOCAL_CREDENTIALS, readLocalEndpoints } from '../local/endpoints';

export interface ImportCocoArgs extends Omit<CocoImportOptions, 'now'> {
  images: string;
  coco: string;
  /** The data bucket; with no endpoint, a bucket on AWS through the default credentials. */
  bucket?: string;
  s3Endpoint?: string;
}

/**
 * `import-coco`: a project store from a COCO file and an image folder, in the local stack's data
 * bucket by default (`npm start` must be running), or in `--bucket` on AWS.
 */
export async function runImportCoco(args: ImportCocoArgs): Promise<CocoImportResult> {
  // A project id that keys or group names cannot hold is refused before anything else is looked at.
  safeProjectId(args.projectId);
  const onAws = args.bucket !== undefined && args.s3Endpoint === undefined;
  const endpoint = onAws ? undefined : (args.s3Endpoint ?? readLocalEndpoints()?.s3);
  if (!onAws && !endpoint)
    throw new Error(
      'no local S3 server found: run `npm start` first, or pass --s3-endpoint, or --bucket for AWS',
    );
  if (endpoint && !args.s3Endpoint) {
    // The local S3 server's own credentials; the SDK reads them from the environment.
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
  }
  if (endpoint) process.env.AWS_REGION ??= 'us-east-1';
  const s3 = createS3Client(endpoint ? { AWS_ENDPOINT_URL_S3: endpoint } : process.env);
  try {
    const coco = parseJson(await readFile(args.coco, 'utf8'), args.coco);
    const root = resolve(args.images);
    const readImage = async (fileName: string) => {
      const path = resolve(join(root, fileName));
      if (!path.startsWith(root + sep)) return undefined;
      try {
        return new Uint8Array(await readFile(path));
      } catch {
        return undefined;
      }
    };
    const writer = new StoreWriter(s3, args.bucket ?? LOCAL_BUCKETS.data, args.projectId);
    return await importCoco(coco, readImage, writer, args);
  } finally {
    s3.destroy();
  }
}
