import { ForbiddenError } from '../errors';

/** Who is calling, as the Cognito authorizer (or the local dev identity) describes them. */
export interface Caller {
  /** The `sub` or user name, for messages; null when no identity came with the request. */
  id: string | null;
  groups: string[];
}

export const ADMIN_GROUP = 'admin';
export const projectGroup = (projectId: string) => `project:${projectId}`;

/**
 * The groups of a `cognito:groups` claim. API Gateway's REST authorizer flattens the claim to a
 * string, and depending on the path it took that string is `a,b`, `a b` or `[a b]`; a JSON array
 * (`["a","b"]`) comes from tests and other authorizers. All of them mean the same list.
 */
export function parseGroups(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.map(String).filter((g) => g.length > 0);
  if (typeof claim !== 'string') return [];
  let text = claim.trim();
  if (text.startsWith('[') && text.endsWith(']')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parseGroups(parsed);
    } catch {
      // `[a b]` is not JSON: fall through to splitting.
    }
    text = text.slice(1, -1);
  }
  return text
    .split(/[\s,]+/)
    .map((g) => g.replace(/^"|"$/g, ''))
    .filter((g) => g.length > 0);
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
