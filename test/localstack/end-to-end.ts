/**
 * End-to-end check of the stack deployed to LocalStack (`npm run localstack:deploy`): seeds a tiny
 * project into the data bucket, signs in through the stack's user pool, creates a password-protected
 * COCO export through the API, waits for it, downloads the archive, opens it with the password and
 * checks its contents against what was seeded, then deletes the export.
 *
 *   docker compose up -d && npm run localstack:deploy && npm run test:localstack
 *
 * Exits non-zero, with the reason, when LocalStack is not reachable or any check fails.
 */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  UsernameExistsException,
} from '@aws-sdk/client-cognito-identity-provider';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { TextWriter, Uint8ArrayReader, Uint8ArrayWriter, ZipReader } from '@zip.js/zip.js';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import type { Dataset, Project } from '../../shared/model/types';
import { aBox, anItem, aTask } from '../helpers/builders';
import { storeKeys } from '../../shared/store/keys';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ENDPOINT = process.env.AWS_ENDPOINT_URL ?? 'http://localhost:4566';
const OUTPUTS =
  process.env.LOCALSTACK_OUTPUTS ?? path.join(ROOT, 'cdk.out', 'localstack-outputs.json');
const STACK = process.env.STACK_NAME ?? 'AnnotationExport';
const WAIT_MINUTES = Number(process.env.LOCALSTACK_WAIT_MINUTES ?? 10);

// LocalStack accepts any credentials; these keep the SDK from looking for real ones.
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= process.env.AWS_DEFAULT_REGION ?? 'us-east-1';

class CheckFailed extends Error {}
function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailed(message);
}
const step = (message: string) => console.log(`• ${message}`);

async function reachable(): Promise<boolean> {
  try {
    const response = await fetch(`${ENDPOINT}/_localstack/health`, {
      signal: AbortSignal.timeout(3000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

interface Outputs {
  ApiUrl: string;
  UserPoolId: string;
  UserPoolClientId: string;
  DataBucketName: string;
  ExportBucketName: string;
}

function readOutputs(): Outputs {
  check(
    existsSync(OUTPUTS),
    `no stack outputs at ${OUTPUTS}: deploy first with \`npm run localstack:deploy\``,
  );
  const all = JSON.parse(readFileSync(OUTPUTS, 'utf8')) as Record<string, Partial<Outputs>>;
  const outputs = all[STACK];
  check(outputs, `${OUTPUTS} has no outputs for stack ${STACK}`);
  for (const key of ['ApiUrl', 'UserPoolId', 'UserPoolClientId', 'DataBucketName'] as const) {
    check(outputs[key], `stack output ${key} is missing from ${OUTPUTS}`);
  }
  return outputs as Outputs;
}

/** A tiny object-detection project: two images, three boxes, two classes. */
export function sampleProject(projectId: string) {
  const now = '2024-05-01T12:00:00.000Z';
  const image = (width: number, height: number, shade: number): Buffer => {
    const png = new PNG({ width, height });
    png.data.fill(shade);
    return PNG.sync.write(png);
  };
  const project: Project = { id: projectId, name: 'LocalStack check', created_at: now };
  const dataset: Dataset = {
    id: 'd1',
    name: 'street',
    media: 'image',
    item_metadata_definitions: [],
  };
  const media = { 'a.png': image(32, 24, 40), 'b.png': image(16, 16, 200) };
  const items = Object.entries(media).map(([name, bytes], index) => {
    const { width, height } = PNG.sync.read(bytes);
    return anItem({ index, name, width, height, num_channels: 4, created_at: now });
  });
  const task = aTask({
    name: 'boxes',
    classes: [
      { id: 1, name: 'car', parent_id: null },
      { id: 2, name: 'person', parent_id: null },
    ],
  });
  const box = (item: number, classId: number, x: number, y: number, w: number, h: number) =>
    aBox(
      { x, y, w, h },
      {
        dataset_item_index: item,
        class_id: classId,
        instance_id: 0,
        created_at: now,
        updated_at: now,
      },
    );
  const annotations = [box(0, 1, 2, 3, 10, 8), box(0, 2, 20, 4, 6, 12), box(1, 1, 1, 1, 5, 5)];
  return { project, dataset, media, items, task, annotations };
}

export async function seed(s3: S3Client, bucket: string, sample: ReturnType<typeof sampleProject>) {
  const p = sample.project.id;
  const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const objects: [string, string | Buffer][] = [
    [storeKeys.project(p), JSON.stringify(sample.project)],
    [storeKeys.dataset(p, 'd1'), JSON.stringify(sample.dataset)],
    [storeKeys.items(p, 'd1'), jsonl(sample.items)],
    [storeKeys.task(p, 't1'), JSON.stringify(sample.task)],
    [storeKeys.annotations(p, 't1', 'd1'), jsonl(sample.annotations)],
    ...Object.entries(sample.media).map(
      ([name, bytes]) => [storeKeys.media(p, 'd1', name), bytes] as [string, Buffer],
    ),
  ];
  for (const [Key, Body] of objects)
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
}

async function signIn(outputs: Outputs): Promise<string> {
  const cognito = new CognitoIdentityProviderClient({ endpoint: ENDPOINT });
  const username = 'localstack-check';
  const password = `Check-${createHash('sha256').update(outputs.UserPoolId).digest('hex').slice(0, 12)}!A1`;
  try {
    await cognito.send(
      new AdminCreateUserCommand({
        UserPoolId: outputs.UserPoolId,
        Username: username,
        MessageAction: 'SUPPRESS',
      }),
    );
  } catch (error) {
    if (!(error instanceof UsernameExistsException)) throw error;
  }
  await cognito.send(
    new AdminSetUserPasswordCommand({
      UserPoolId: outputs.UserPoolId,
      Username: username,
      Password: password,
      Permanent: true,
    }),
  );
  await cognito.send(
    new AdminAddUserToGroupCommand({
      UserPoolId: outputs.UserPoolId,
      Username: username,
      GroupName: 'admin',
    }),
  );
  const auth = await cognito.send(
    new AdminInitiateAuthCommand({
      UserPoolId: outputs.UserPoolId,
      ClientId: outputs.UserPoolClientId,
      AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  );
  const token = auth.AuthenticationResult?.IdToken;
  check(token, 'the user pool gave no ID token');
  return token;
}

/**
 * LocalStack serves a REST API at `{endpoint}/restapis/{id}/{stage}/_user_request_/...`, which
 * needs no wildcard DNS for `*.execute-api.localhost.localstack.cloud`.
 */
function apiBase(apiUrl: string): string {
  const match = /^https?:\/\/([a-z0-9]+)\.execute-api\.[^/]+\/([^/]+)\/?$/.exec(apiUrl);
  check(match, `unexpected ApiUrl output: ${apiUrl}`);
  return `${ENDPOINT}/restapis/${match[1]}/${match[2]}/_user_request_`;
}

interface ExportView {
  id: string;
  status: string;
  progress?: { done: number; total: number };
  download_url?: string;
  archive?: { key: string; crc32: string; bytes: number } | null;
  error?: { message: string } | null;
}

async function call(
  base: string,
  token: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { Authorization: token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // Keep the text: it says what went wrong.
  }
  return { status: response.status, json };
}

async function download(s3: S3Client, bucket: string, view: ExportView): Promise<Uint8Array> {
  if (view.download_url) {
    try {
      const response = await fetch(view.download_url);
      if (response.ok) return new Uint8Array(await response.arrayBuffer());
      console.log(`  download_url answered ${response.status}; reading the archive from S3`);
    } catch {
      // Presigned URLs name LocalStack's host as the functions see it, which the machine
      // running this check may not resolve.
      console.log('  download_url is not reachable from here; reading the archive from S3');
    }
  }
  check(view.archive?.key, 'the export has neither a reachable download_url nor an archive key');
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: view.archive.key }));
  return object.Body!.transformToByteArray();
}

export async function verifyArchive(
  bytes: Uint8Array,
  password: string,
  sample: ReturnType<typeof sampleProject>,
) {
  const zip = new ZipReader(new Uint8ArrayReader(bytes), { password });
  const entries = await zip.getEntries();
  const byName = new Map(entries.filter((e) => !e.directory).map((e) => [e.filename, e]));
  const text = async (name: string) => {
    const entry = byName.get(name);
    check(
      entry && !entry.directory,
      `the archive has no ${name}; it has ${[...byName.keys()].join(', ')}`,
    );
    return entry.getData(new TextWriter(), { password });
  };
  const binary = async (name: string) => {
    const entry = byName.get(name);
    check(entry && !entry.directory, `the archive has no ${name}`);
    return entry.getData(new Uint8ArrayWriter(), { password });
  };
  for (const entry of byName.values()) {
    check(entry.encrypted, `${entry.filename} is not encrypted although the export has a password`);
  }

  const coco = JSON.parse(await text('annotations/street/coco.json')) as {
    images: { file_name: string; width: number; height: number }[];
    annotations: { category_id: number; bbox: number[] }[];
    categories: { id: number; name: string }[];
  };
  check(coco.images.length === 2, `coco.json lists ${coco.images.length} images, not 2`);
  check(
    coco.annotations.length === sample.annotations.length,
    `coco.json has ${coco.annotations.length} annotations, not ${sample.annotations.length}`,
  );
  const expectedBoxes = sample.annotations.map((a) =>
    [a.box!.x, a.box!.y, a.box!.w, a.box!.h].join(','),
  );
  const actualBoxes = coco.annotations.map((a) => a.bbox.join(','));
  check(
    JSON.stringify([...actualBoxes].sort()) === JSON.stringify([...expectedBoxes].sort()),
    `coco.json boxes ${actualBoxes.join(' ')} differ from the seeded ${expectedBoxes.join(' ')}`,
  );
  check(
    coco.categories.map((c) => c.name).join(',') === 'car,person',
    `coco.json categories are ${coco.categories.map((c) => c.name).join(',')}`,
  );

  for (const [name, original] of Object.entries(sample.media)) {
    const copied = await binary(`datasets/street/${name}`);
    check(Buffer.from(copied).equals(original), `datasets/street/${name} differs from the store`);
  }

  const checksums = await text('checksums.sha256');
  let listed = 0;
  for (const line of checksums.trim().split('\n')) {
    const parsed = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    check(parsed, `checksums.sha256 has a malformed line: ${line}`);
    const [, digest, name] = parsed as unknown as [string, string, string];
    const actual = createHash('sha256')
      .update(await binary(name))
      .digest('hex');
    check(
      actual === digest,
      `checksums.sha256 says ${digest} for ${name}, the entry hashes to ${actual}`,
    );
    listed += 1;
  }
  check(
    listed === byName.size - 1,
    `checksums.sha256 lists ${listed} of ${byName.size - 1} entries`,
  );
  await text('manifest.json');
  await zip.close();
}

async function main(): Promise<void> {
  if (!(await reachable())) {
    console.error(
      `LocalStack is not reachable at ${ENDPOINT}.\n` +
        'Start it with `docker compose up -d`, deploy with `npm run localstack:deploy`, then run this again.\n' +
        '(Set AWS_ENDPOINT_URL if LocalStack listens elsewhere.)',
    );
    process.exit(2);
  }
  const outputs = readOutputs();
  const s3 = new S3Client({ endpoint: ENDPOINT, forcePathStyle: true });
  const projectId = `ls-${Date.now().toString(36)}`;
  const sample = sampleProject(projectId);

  step(`seeding project ${projectId} into ${outputs.DataBucketName}`);
  await seed(s3, outputs.DataBucketName, sample);

  step('signing in through the user pool');
  const token = await signIn(outputs);
  const base = apiBase(outputs.ApiUrl);

  step('GET /formats');
  const formats = await call(base, token, 'GET', '/formats');
  check(
    formats.status === 200,
    `GET /formats answered ${formats.status}: ${JSON.stringify(formats.json)}`,
  );

  const password = 'Tr0ub4dor&3 horse';
  step('POST an export: annotations and images, COCO, AES-256 password');
  const created = await call(base, token, 'POST', `/projects/${projectId}/exports`, {
    type: 'both',
    taskId: 't1',
    format: 'coco',
    password,
  });
  check(created.status === 202, `POST answered ${created.status}: ${JSON.stringify(created.json)}`);
  const exportId = (created.json as ExportView).id;
  check(exportId, `POST answered no export id: ${JSON.stringify(created.json)}`);

  step(`waiting for export ${exportId}`);
  const deadline = Date.now() + WAIT_MINUTES * 60_000;
  let view: ExportView;
  for (;;) {
    const got = await call(base, token, 'GET', `/projects/${projectId}/exports/${exportId}`);
    check(got.status === 200, `GET export answered ${got.status}: ${JSON.stringify(got.json)}`);
    view = got.json as ExportView;
    if (view.status === 'SUCCEEDED' || view.status === 'FAILED') break;
    check(
      Date.now() < deadline,
      `the export is still ${view.status} after ${WAIT_MINUTES} minutes`,
    );
    const progress = view.progress ? ` ${view.progress.done}/${view.progress.total}` : '';
    console.log(`  ${view.status}${progress}`);
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
  check(
    view.status === 'SUCCEEDED',
    `the export FAILED: ${view.error?.message ?? 'no reason given'}`,
  );

  step('downloading the archive');
  const bytes = await download(s3, outputs.ExportBucketName, view);
  if (view.archive?.crc32) {
    const checksum = crc32(bytes).toString(16).padStart(8, '0');
    check(
      checksum === view.archive.crc32,
      `the archive's CRC-32 is ${checksum}, the record says ${view.archive.crc32}`,
    );
  }

  step(`opening the ${bytes.length}-byte archive with the password and checking it`);
  await verifyArchive(bytes, password, sample);

  step('DELETE the export');
  const deleted = await call(base, token, 'DELETE', `/projects/${projectId}/exports/${exportId}`);
  check(deleted.status < 300, `DELETE answered ${deleted.status}: ${JSON.stringify(deleted.json)}`);
  const gone = await call(base, token, 'GET', `/projects/${projectId}/exports/${exportId}`);
  check(gone.status === 404, `GET after DELETE answered ${gone.status}, not 404`);

  console.log('LocalStack end-to-end check passed.');
}

// Run as a script; imported (to check the checks against the embedded stack), do nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    if (error instanceof CheckFailed)
      console.error(`LocalStack end-to-end check failed: ${error.message}`);
    else console.error('LocalStack end-to-end check failed:', error);
    process.exit(1);
  });
}
