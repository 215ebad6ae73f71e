import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE } from '../../../shared/version';
import { REPO_ROOT } from '../../infra/synth';

const node = (...args: string[]) =>
  spawnSync(process.execPath, args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });

describe('the installed command', () => {
  beforeAll(() => {
    // What `npm ci` runs (the prepare script); it fails when the CLI imports a devDependency.
    const build = node('scripts/build-cli.js');
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);
  });

  it('runs the CLI built to JavaScript, in a plain node process', () => {
    const version = node('bin/annotation-export.js', '--version');
    expect(version).toMatchObject({ status: 0, stdout: `${PACKAGE.version}\n` });
    const help = node('bin/annotation-export.js', 'create', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--download [file]');
  });

  it('loads no TypeScript runner and only production dependencies', () => {
    const { dependencies } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const dist = join(REPO_ROOT, 'dist', 'cli');
    const imported = readdirSync(dist)
      .filter((f) => f.endsWith('.js'))
      .flatMap((f) => [...readFileSync(join(dist, f), 'utf8').matchAll(/from\s*"([^".][^"]*)"/g)])
      .map((m) => m[1]!)
      .filter((path) => !path.startsWith('node:'))
      .map((path) =>
        path
          .split('/')
          .slice(0, path.startsWith('@') ? 2 : 1)
          .join('/'),
      );
    expect(imported).toContain('commander');
    expect(imported.filter((name) => !(name in dependencies))).toEqual([]);
    expect(dependencies).not.toHaveProperty('tsx');
  });
});
