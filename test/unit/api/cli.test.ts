import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { OPTIONS, parseSplit, requestFromFlags, UsageError } from '../../../local/cli/flags';
import { progressLine, waitForExport } from '../../../local/cli/progress';
import { validateRequest } from '../../../shared/exports/request';
import type { ExportView } from '../../../shared/exports/table';

const flags = (...args: string[]) =>
  requestFromFlags(parseArgs({ args, options: OPTIONS, allowPositionals: true }).values);

describe('create flags', () => {
  it('make a request for every field, which the API accepts', () => {
    const request = flags(
      '--name',
      'nightly',
      '--type',
      'both',
      '--task',
      'detect',
      '--format',
      'masks',
      '--mask-kind',
      'instance',
      '--dataset',
      'a,b',
      '--dataset',
      'c',
      '--from',
      '2026-01-01T00:00:00Z',
      '--to',
      '2026-02-01T00:00:00Z',
      '--split',
      'train:80,val:20',
      '--seed',
      '7',
      '--split-mode',
      'stable',
      '--password',
      'pw',
      '--encryption',
      'zipcrypto',
    );
    expect(request).toEqual({
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
    expect(validateRequest(request)).toEqual(request);
  });

  it('default the type: both with a format, datasets without', () => {
    expect(flags('--task', 't', '--format', 'coco').type).toBe('both');
    expect(flags('--dataset', 'd').type).toBe('datasets');
  });

  it('refuse a split that is not name:percent pairs', () => {
    expect(() => parseSplit('train=80')).toThrow(UsageError);
    expect(parseSplit('a:1, b:99'.replace(' ', ''))).toEqual([
      { name: 'a', percent: 1 },
      { name: 'b', percent: 99 },
    ]);
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
