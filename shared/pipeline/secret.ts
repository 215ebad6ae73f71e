import { getText } from '../aws/s3';
import { NotFoundError } from '../errors';
import type { Encryption } from '../exports/request';
import { recordKeys, type ExportRecord } from '../exports/record';
import type { PipelineDeps } from './work';

/** How an export's zip entries are enciphered: no password for a plain zip. */
export interface ZipSecrets {
  password?: string;
  encryption?: Encryption;
}

/**
 * The password the starter put apart (DESIGN §15), for the stages that write zip entries (the
 * shards and package); package deletes it once the archive exists. Read from `secrets/` each
 * time: it never travels in a state payload.
 */
export async function readZipSecrets(
  deps: PipelineDeps,
  record: Pick<ExportRecord, 'id' | 'encryption'>,
): Promise<ZipSecrets> {
  if (!record.encryption) return {};
  try {
    const password = await getText(deps.s3, deps.exportBucket, recordKeys.secret(record.id));
    return { password, encryption: record.encryption };
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new NotFoundError(`the password of export ${record.id} is no longer available`, {
        cause: error,
      });
    throw error;
  }
}
