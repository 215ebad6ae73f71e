import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callerFromClaims, mayAccessProject, parseGroups } from '../../../shared/api/auth';

describe('the cognito:groups claim', () => {
  it.each([
    ['admin', ['admin']],
    ['[project:a project:b]', ['project:a', 'project:b']],
    ['[project:a]', ['project:a']],
    ['["project:a","project:b"]', ['project:a', 'project:b']],
    ['[]', []],
    ['', []],
  ])('reads %j, a form API Gateway delivers, as %j', (claim, groups) => {
    expect(parseGroups(claim)).toEqual(groups);
  });

  it('reads an array claim of strings as it is, and no claim as no groups', () => {
    expect(parseGroups(['project:a', 'admin'])).toEqual(['project:a', 'admin']);
    expect(parseGroups(undefined)).toEqual([]);
    expect(parseGroups(null)).toEqual([]);
  });

  it('splits nothing at commas: a bare claim is one group, whatever punctuation it holds', () => {
    expect(parseGroups('project:x,admin')).toEqual(['project:x,admin']);
    expect(parseGroups('"admin"')).toEqual(['"admin"']);
    expect(parseGroups("'admin'")).toEqual(["'admin'"]);
  });
});

describe('the cognito:groups claim: malformed and generated claims', () => {
  it.each([
    ['a nested JSON array', '[["admin"]]'],
    ['a nested array', [['admin']]],
    ['an array with a number', ['project:a', 1]],
    ['an array with an object', [{ name: 'admin' }]],
    ['a group with a space in an array', ['project:a admin']],
    ['JSON that is cut off', '["admin"'],
    ['JSON that is not an array', '["admin"]x'],
    ['brackets inside a name', '[[admin]]'],
    ['two spaces between names', '[project:a  admin]'],
    ['a tab between names', '[project:a\tadmin]'],
    ['a bare claim with spaces', 'project:a admin'],
    ['a bare claim with a newline', 'project:a\nadmin'],
    ['a number', 42],
    ['an object', { admin: true }],
  ])('refuses %s with a ForbiddenError', (_, claim) => {
    expect(() => parseGroups(claim)).toThrow(
      expect.objectContaining({ name: 'ForbiddenError' }) as Error,
    );
  });

  // Names that read as JSON (`"a`, `1`, `true`) would make `[...]` ambiguous: groups are never so named.
  const groupName = fc
    .stringMatching(/^[a-z][a-z0-9:_.,"'-]{0,19}$/)
    .filter((g) => !['true', 'false', 'null'].includes(g));

  it('reads back every list of group names in each form API Gateway renders it', () => {
    fc.assert(
      fc.property(fc.array(groupName, { minLength: 1, maxLength: 6 }), (groups) => {
        expect(parseGroups(groups)).toEqual(groups);
        expect(parseGroups(JSON.stringify(groups))).toEqual(groups);
        expect(parseGroups(`[${groups.join(' ')}]`)).toEqual(groups);
        expect(parseGroups(groups[0])).toEqual([groups[0]]);
      }),
    );
  });

  it('answers any claim with group names or a ForbiddenError, and admin only when named', () => {
    const claim = fc.oneof(
      fc.string(),
      fc.string({ unit: fc.constantFrom('[', ']', '"', ',', ' ', 'a', 'd', 'm', 'i', 'n', ':') }),
      fc.array(fc.oneof(fc.string(), fc.integer(), fc.array(fc.string()))),
      fc.jsonValue(),
    );
    fc.assert(
      fc.property(claim, (value) => {
        let groups: string[];
        try {
          groups = parseGroups(value);
        } catch (error) {
          expect((error as Error).name).toBe('ForbiddenError');
          return;
        }
        for (const group of groups) expect(group).toMatch(/^\S{1,128}$/u);
        if (groups.includes('admin')) {
          const text = typeof value === 'string' ? value : JSON.stringify(value);
          expect(text).toMatch(/(^|[\s["])admin($|[\s\]"])/);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('project access', () => {
  const caller = (groups: string) => callerFromClaims({ sub: 'u', 'cognito:groups': groups });

  it('needs project:{id} exactly, or admin', () => {
    expect(mayAccessProject(caller('project:p1'), 'p1')).toBe(true);
    expect(mayAccessProject(caller('project:p1'), 'p10')).toBe(false);
    expect(mayAccessProject(caller('project:p10'), 'p1')).toBe(false);
    expect(mayAccessProject(caller('[projects:p1 p1]'), 'p1')).toBe(false);
    expect(mayAccessProject(caller('[admin]'), 'anything')).toBe(true);
    expect(mayAccessProject(caller('project:x,admin'), 'anything')).toBe(false);
    expect(mayAccessProject(caller('project:x,admin'), 'x')).toBe(false);
    expect(mayAccessProject(callerFromClaims(undefined), 'p1')).toBe(false);
  });
});
