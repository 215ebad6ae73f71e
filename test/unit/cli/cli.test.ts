import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseSplit, UsageError } from '../../../cli/flags';
import { EXIT } from '../../../cli/program';
import { progressLine, waitForExport } from '../../../cli/progress';
import { validateRequest } from '../../../shared/exports/request';
import type { ExportView } from '../../../shared/exports/table';
import { formatTable } from '../../../shared/formats/index';
import { PACKAGE } from '../../../shared/version';
import { cli } from './run-cli';
import { anExportView, ARCHIVE_BYTES, startFakeApi, succeeded, type FakeApi } from './fake-api';

let api: FakeApi;
let dir: string;
const at = () => ['--endpoint', api.url];
const posted = () => api.received.find((r) => r.method === 'POST')!;

beforeAll(async () => {
  api = await startFakeApi();
  dir = await mkdtemp(join(tmpdir(), 'cli-test-'));
});
afterAll(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  api.received.length = 0;
  api.views = [];
  api.answers = {};
});

describe('create', () => {
  it('sends a request field for every flag, which the API accepts', async () => {
    // Every value is one word, so the command line is written as it would be typed.
    const flags = [
      'create --project p --name nightly --type both --task detect --format masks',
      '--mask-kind instance --dataset a,b --dataset c',
      '--from 2026-01-01T00:00:00Z --to 2026-02-01T00:00:00Z',
      '--split train:80,val:20 --seed 7 --split-mode stable',
      '--password pw --encryption zipcrypto --idempotency-key k1',
    ];
    const ran = await cli([...at(), ...flags.join(' ').split(' ')]);
    expect(ran).toMatchObject({ code: EXIT.ok, stdout: 'e1\n' });
    const request = posted();
    expect(request.path).toBe('/projects/p/exports');
    expect(request.headers['idempotency-key']).toBe('k1');
    expect(request.body).toEqual({
      name: 'nightly',
      type: 'both',
      taskId: 'detect',
      format: 'masks',
      maskKind: 'instance',
      datasetIds: ['a', 'b', 'c'],
      dateRange: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' },
      split: {
        subsets: [
          { name: 'train', percent: 80 },
          { name: 'val', percent: 20 },
        ],
        seed: 7,
        mode: 'stable',
      },
      password: 'pw',
      encryption: 'zipcrypto',
    });
    expect(validateRequest(request.body)).toEqual(request.body);
  });

  it('defaults the type: both with a format, datasets without', async () => {
    await cli([...at(), 'create', '--project', 'p', '--task', 't', '--format', 'coco']);
    expect(posted().body).toMatchObject({ type: 'both' });
    api.received.length = 0;
    await cli([...at(), 'create', '--project', 'p', '--dataset', 'd']);
    expect(posted().body).toEqual({ type: 'datasets', datasetIds: ['d'] });
  });

  it('--download my.zip waits for the export and saves its archive as my.zip', async () => {
    api.views = [
      anExportView({ status: 'RUNNING', progress: { done: 1, total: 2 } }),
      succeeded(api),
    ];
    const file = join(dir, 'my.zip');
    const ran = await cli([
      ...at(),
      'create',
      '--project',
      'p',
      '--format',
      'coco',
      '--task',
      't',
      '--download',
      file,
      '--interval',
      '0',
    ]);
    expect(ran.code).toBe(EXIT.ok);
    expect(await readFile(file)).toEqual(ARCHIVE_BYTES);
    expect(ran.stderr).toContain(`saved ${file}`);
    expect(ran.stderr).toMatch(/RUNNING .* 50% 1\/2 shards/);
    expect(ran.stdout).toContain('SUCCEEDED');
  });

  it('reads the password from the first line of stdin with --password-stdin', async () => {
    const ran = await cli(
      [...at(), 'create', '--project', 'p', '--dataset', 'd', '--password-stdin'],
      Readable.from(['s3cret pass\n', 'not this\n']),
    );
    expect(ran.code).toBe(EXIT.ok);
    expect(posted().body).toMatchObject({ password: 's3cret pass' });
  });

  it('takes ANNOTATION_EXPORT_PASSWORD, unless --password-stdin is given', async () => {
    process.env.ANNOTATION_EXPORT_PASSWORD = 'from-env';
    try {
      await cli([...at(), 'create', '--project', 'p', '--dataset', 'd']);
      expect(posted().body).toMatchObject({ password: 'from-env' });
      api.received.length = 0;
      const ran = await cli(
        [...at(), 'create', '--project', 'p', '--dataset', 'd', '--password-stdin'],
        Readable.from(['piped\n']),
      );
      expect(ran.code).toBe(EXIT.ok);
      expect(posted().body).toMatchObject({ password: 'piped' });
    } finally {
      delete process.env.ANNOTATION_EXPORT_PASSWORD;
    }
    const both = await cli(
      [...at(), 'create', '--project', 'p', '--password', 'x', '--password-stdin'],
      Readable.from(['piped\n']),
    );
    expect(both.code).toBe(EXIT.usage);
  });

  it('asks for the password without echo when --password has no value', async () => {
    const terminal = Object.assign(new PassThrough(), {
      isTTY: true,
      rawModes: [] as boolean[],
      setRawMode(raw: boolean) {
        terminal.rawModes.push(raw);
        return terminal;
      },
    });
    const running = cli(
      [...at(), 'create', '--project', 'p', '--dataset', 'd', '--password'],
      terminal,
    );
    terminal.write('secr');
    terminal.write('x\u007fet\r');
    const ran = await running;
    expect(ran.code).toBe(EXIT.ok);
    expect(posted().body).toMatchObject({ password: 'secret' });
    expect(terminal.rawModes).toEqual([true, false]);
    expect(ran.stderr).toBe('archive password: \n');
  });

  it('refuses to ask for a password off a terminal (exit 2)', async () => {
    const ran = await cli([...at(), 'create', '--project', 'p', '--dataset', 'd', '--password']);
    expect(ran.code).toBe(EXIT.usage);
    expect(ran.stderr).toContain('--password-stdin');
    expect(api.received).toEqual([]);
  });

  it('refuses a split that is not name:percent pairs (exit 2)', async () => {
    expect(() => parseSplit('train=80')).toThrow(UsageError);
    expect(parseSplit('a:1,b:99')).toEqual([
      { name: 'a', percent: 1 },
      { name: 'b', percent: 99 },
    ]);
    const ran = await cli([...at(), 'create', '--project', 'p', '--split', 'train=80']);
    expect(ran.code).toBe(EXIT.usage);
    expect(ran.stderr).toContain('--split takes name:percent pairs');
  });

  it('shows what the API refused, with every problem (exit 1)', async () => {
    api.answers['POST /projects/p/exports'] = {
      status: 400,
      body: { error: { code: 'ValidationError', message: '2 problems', details: ['a', 'b'] } },
    };
    const ran = await cli([...at(), 'create', '--project', 'p', '--dataset', 'd']);
    expect(ran.code).toBe(EXIT.error);
    expect(ran.stderr).toBe('error 400 ValidationError: 2 problems\n  - a\n  - b\n');
  });
});

describe('wait and download', () => {
  it('wait exits 3 when the export ends FAILED, and shows why', async () => {
    api.views = [
      anExportView({
        status: 'FAILED',
        error: { code: 'ValidationError', message: 'bad line', details: ['items.jsonl:3'] },
      }),
    ];
    const ran = await cli([...at(), 'wait', '--project', 'p', 'e1', '--interval', '0']);
    expect(ran.code).toBe(EXIT.exportFailed);
    expect(ran.stdout).toContain('error: bad line');
    expect(ran.stdout).toContain('- items.jsonl:3');
  });

  it('download --out saves the archive there', async () => {
    api.views = [succeeded(api)];
    const file = join(dir, 'out', 'archive.zip');
    const ran = await cli([...at(), 'download', '--project', 'p', 'e1', '--out', file]);
    expect(ran).toMatchObject({ code: EXIT.ok, stdout: `saved ${file}\n` });
    expect(await readFile(file)).toEqual(ARCHIVE_BYTES);
  });

  it('takes the project from ANNOTATION_EXPORT_PROJECT', async () => {
    api.views = [succeeded(api)];
    process.env.ANNOTATION_EXPORT_PROJECT = 'from-env';
    try {
      const ran = await cli([...at(), 'get', 'e1', '--json']);
      expect(ran.code).toBe(EXIT.ok);
      expect(JSON.parse(ran.stdout)).toMatchObject({ id: 'e1', status: 'SUCCEEDED' });
      expect(api.received[0]!.path).toBe('/projects/from-env/exports/e1');
    } finally {
      delete process.env.ANNOTATION_EXPORT_PROJECT;
    }
  });
});

describe('formats and tasks', () => {
  it('formats: a table to read, the API list with --json', async () => {
    api.answers['GET /formats'] = { status: 200, body: { formats: formatTable() } };
    const table = await cli([...at(), 'formats']);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id\s+name\s+task types\s+media\s+mask kinds$/);
    expect(lines).toHaveLength(formatTable().length + 1);
    expect(lines.find((l) => l.startsWith('coco '))).toMatch(/object_detection/);
    const json = await cli([...at(), 'formats', '--json']);
    expect(JSON.parse(json.stdout)).toEqual(formatTable());
  });

  it('tasks: one row a task with its class count and datasets; --json as the API answers', async () => {
    const body = {
      project: { id: 'p', name: 'P' },
      tasks: [
        {
          id: 'detect',
          name: 'Detect',
          type: 'object_detection',
          media: 'image',
          classes: [
            { id: 1, name: 'car', parent_id: null },
            { id: 2, name: 'bus', parent_id: null },
          ],
          rotation_enabled: false,
          datasets: [
            { id: 'd1', name: 'D1', media: 'image' },
            { id: 'd2', name: 'D2', media: 'image' },
          ],
        },
      ],
      datasets: [],
    };
    api.answers['GET /projects/p/tasks'] = { status: 200, body };
    const table = await cli([...at(), 'tasks', '--project', 'p']);
    expect(table.stdout.split('\n').slice(0, 2)).toEqual([
      'id      name    type              media  classes  datasets',
      'detect  Detect  object_detection  image  2        d1, d2',
    ]);
    expect(JSON.parse((await cli([...at(), 'tasks', '--project', 'p', '--json'])).stdout)).toEqual(
      body,
    );
  });
});

describe('conventions', () => {
  it('--version prints the version of package.json', async () => {
    expect(await cli(['--version'])).toEqual({
      code: EXIT.ok,
      stdout: `${PACKAGE.version}\n`,
      stderr: '',
    });
  });

  it('each command has its own --help, with its flags', async () => {
    const ran = await cli(['create', '--help']);
    expect(ran.code).toBe(EXIT.ok);
    for (const flag of ['--download [file]', '--password-stdin', '--split-mode', '--json'])
      expect(ran.stdout).toContain(flag);
    const list = await cli(['help', 'list']);
    expect(list.stdout).toContain('--cursor');
    expect(list.stdout).not.toContain('--password');
  });

  it('documents its environment variables and exit codes', async () => {
    const ran = await cli(['--help']);
    for (const text of ['ANNOTATION_EXPORT_TOKEN', 'ANNOTATION_EXPORT_PASSWORD', 'Exit codes'])
      expect(ran.stdout).toContain(text);
  });

  it('exits 2 on an unknown command, option or choice, or a missing argument', async () => {
    for (const args of [
      ['bogus'],
      ['list', '--project', 'p', '--bogus'],
      ['create', '--project', 'p', '--type', 'everything'],
      ['get', '--project', 'p'],
      [],
    ]) {
      const ran = await cli([...at(), ...args]);
      expect(ran.code, args.join(' ')).toBe(EXIT.usage);
    }
    expect(api.received).toEqual([]);
  });
});

describe('progress bar', () => {
  const view = (status: string, done: number, total: number) =>
    ({ status, progress: { done, total } }) as ExportView;

  it('fills with the share of shards done', () => {
    expect(progressLine(view('RUNNING', 1, 4), 8)).toBe('RUNNING   [██░░░░░░]  25% 1/4 shards');
    expect(progressLine(view('QUEUED', 0, 0), 8)).toBe('QUEUED    [░░░░░░░░]   0%');
    expect(progressLine(view('SUCCEEDED', 4, 4), 8)).toBe('SUCCEEDED [████████] 100% 4/4 shards');
  });

  it('draws a line per change off a terminal and stops when the export ends', async () => {
    const views = [
      view('QUEUED', 0, 0),
      view('RUNNING', 1, 2),
      view('RUNNING', 1, 2),
      view('FAILED', 1, 2),
    ];
    const written: string[] = [];
    const stream = {
      isTTY: false,
      write: (s: string) => written.push(s),
    } as unknown as NodeJS.WriteStream;
    const last = await waitForExport(async () => views.shift()!, { intervalMs: 0, stream });
    expect(last.status).toBe('FAILED');
    expect(written).toHaveLength(3);
    expect(written[1]).toMatch(/^RUNNING .* 50% 1\/2 shards\n$/);
  });
});
