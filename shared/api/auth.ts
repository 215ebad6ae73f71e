import { ForbiddenError } from '../errors';

/** Who is calling, as the Cognito authorizer (or the local dev identity) describes them. */
export interface Caller {
  /** The `sub` or user name, for messages; null when no identity came with the request. */
  id: string | null;
  groups: string[];
}

export const ADMIN_GROUP = 'admin';
export const projectGroup = (projectId: string) => `project:${projectId}`;

/** A Cognito group name (CreateGroup's GroupName): 1-128 letters, marks, symbols, numbers, punctuation. */
const GROUP_NAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u;

function malformed(why: string): ForbiddenError {
  return new ForbiddenError(`the cognito:groups claim is malformed (${why})`);
}

function groupList(values: unknown[]): string[] {
  return values.map((value, i) => {
    if (typeof value !== 'string') throw malformed(`entry ${i} is not a string`);
    if (!GROUP_NAME.test(value)) throw malformed(`entry ${i} is not a group name`);
    return value;
  });
}

/**
 * The groups of a `cognito:groups` claim, in exactly the forms it arrives in (DESIGN §15): a JSON
 * array of strings (tests, other authorizers), or API Gateway's string rendering of the token's
 * array — `[a b c]`, space-separated in brackets, or one bare group — which a REST API Cognito
 * authorizer puts in `requestContext.authorizer.claims`. Group names cannot hold whitespace, so
 * the rendering is unambiguous; commas separate nothing (`project:x,admin` is one group, and not
 * `admin`). A string that parses as a JSON array counts as that array and must hold strings only,
 * so a rendering whose names read as JSON (`[1]`, `["a b]`) is refused; `project:` groups never
 * do. Anything else — nested arrays, non-strings, brackets inside a name, a bare string with
 * spaces — is a ForbiddenError: a claim that cannot be read grants nothing.
 */
export function parseGroups(claim: unknown): string[] {
  if (claim === undefined || claim === null || claim === '') return [];
  if (Array.isArray(claim)) return groupList(claim);
  if (typeof claim !== 'string') throw malformed('it is neither a string nor an array');
  if (claim.startsWith('[') && claim.endsWith(']')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(claim);
    } catch {
      if (/^\[\s*["[]/.test(claim)) throw malformed('it is neither a JSON array nor [a b c]');
    }
    if (parsed !== undefined) return groupList(parsed as unknown[]);
    const inner = claim.slice(1, -1);
    if (inner === '') return [];
    const groups = inner.split(' ');
    for (const group of groups)
      if (!GROUP_NAME.test(group) || /[[\]]/.test(group))
        throw malformed('it is not [a b c] with one space between group names');
    return groups;
  }
  if (!GROUP_NAME.test(claim) || claim.startsWith('[') || claim.endsWith(']'))
    throw malformed('it is not one group name');
  return [claim];
}

/** The caller described by a REST API event's authorizer claims. */
export function callerFromClaims(claims: Record<string, unknown> | null | undefined): Caller {
  if (!claims) return { id: null, groups: [] };
  const id = claims.sub ?? claims['cognito:username'] ?? claims.username;
  return {
    id: typeof id === 'string' ? id : 'unknown',
    groups: parseGroups(claims['cognito:groups']),
  };
}

/** A caller may touch project P only with the group `project:P` or `admin` (DESIGN §12). */
export function mayAccessProject(caller: Caller, projectId: string): boolean {
  return caller.groups.includes(ADMIN_GROUP) || caller.groups.includes(projectGroup(projectId));
}

export function requireProject(caller: Caller, projectId: string): void {
  if (!mayAccessProject(caller, projectId))
    throw new ForbiddenError(`you may not access project ${projectId}`);
}

/** Routes outside a project (GET /formats) only need a signed-in caller. */
export function requireIdentity(caller: Caller): void {
  if (caller.id === null) throw new ForbiddenError('this request carries no identity');
}
