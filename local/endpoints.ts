import { readFileSync } from 'node:fs';

/*
 * The local stack's fixed names, apart from the modules that start it: the CLI reads them too,
 * and it runs without the devDependencies (s3rver) that the local stack needs.
 */

/** Where `npm start` says which endpoints it serves, for the CLI to find them. */
export const ENDPOINTS_FILE = '.local/endpoints.json';

/** The default bus as the local stack keeps it: one JSON event per line, in the order put. */
export const LOCAL_EVENTS_FILE = '.local/events.jsonl';

export const LOCAL_BUCKETS = {
  data: 'annotation-export-data',
  exports: 'annotation-export-exports',
};
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface LocalEndpoints {
  api: string;
  s3: string;
  stepFunctions: string;
  dataBucket: string;
  exportBucket: string;
}

/** The endpoints `npm start` wrote, or undefined when it is not running. */
export function readLocalEndpoints(file = ENDPOINTS_FILE): LocalEndpoints | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LocalEndpoints;
  } catch {
    return undefined;
  }
}
