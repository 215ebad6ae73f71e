import { describe, expect, it } from 'vitest';
import { callerFromClaims, mayAccessProject, parseGroups } from '../../../shared/api/auth';

describe('the cognito:groups claim', () => {
  it.each([
    ['admin', ['admin']],
    ['project:a,project:b', ['project:a', 'project:b']],
    ['project:a, project:b', ['project:a', 'project:b']],
    ['project:a project:b', ['project:a', 'project:b']],
    ['[project:a project:b]', ['project:a', 'project:b']],
    ['[project:a, project:b]', ['project:a', 'project:b']],
    ['["project:a","project:b"]', ['project:a', 'project:b']],
    ['[]', []],
    ['', []],
  ])('reads %j as %j', (claim, groups) => {
    expect(parseGroups(claim)).toEqual(groups);
  });

  it('reads an array claim as it is and anything else as no groups', () => {
    expect(parseGroups(['project:a', 'admin'])).toEqual(['project:a', 'admin']);
    expect(parseGroups(undefined)).toEqual([]);
    expect(parseGroups(42)).toEqual([]);
  });
});

describe('project access', () => {
  const caller = (groups: string) => callerFromClaims({ sub: 'u', 'cognito:groups': groups });

  it('needs project:{id} exactly, or admin', () => {
    expect(mayAccessProject(caller('project:p1'), 'p1')).toBe(true);
    expect(mayAccessProject(caller('project:p1'), 'p10')).toBe(false);
    expect(mayAccessProject(caller('project:p10'), 'p1')).toBe(false);
    expect(mayAccessProject(caller('projects:p1 p1'), 'p1')).toBe(false);
    expect(mayAccessProject(caller('[admin]'), 'anything')).toBe(true);
    expect(mayAccessProject(callerFromClaims(undefined), 'p1')).toBe(false);
  });
});
