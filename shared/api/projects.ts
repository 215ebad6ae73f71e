import type { S3Client } from '@aws-sdk/client-s3';
import { listFolders } from '../aws/s3';
import { NotFoundError, ValidationError } from '../errors';
import { StoreReader } from '../store/reader';
import { ADMIN_GROUP, type Caller } from './auth';

export interface ProjectSummary {
  id: string;
  name: string;
  created_at: string;
}

const PROJECT_GROUP = /^project:(.+)$/;
/** Project files read at once while listing. */
const READ_AHEAD = 16;

/**
 * GET /projects: the projects the caller may touch — every project of the store for `admin`, the
 * projects named by the caller's `project:{id}` groups otherwise — by name. A group whose project
 * does not exist (or whose project file is unreadable) lists nothing: it is not an error of the
 * caller's, and one bad project must not hide the others.
 */
export async function callerProjects(
  s3: S3Client,
  dataBucket: string,
  caller: Caller,
  isSafeId: (id: string) => boolean,
): Promise<{ projects: ProjectSummary[] }> {
  let ids: string[];
  if (caller.groups.includes(ADMIN_GROUP)) {
    ids = [];
    for await (const id of listFolders(s3, dataBucket, 'projects/')) ids.push(id);
  } else {
    ids = caller.groups.flatMap((group) => PROJECT_GROUP.exec(group)?.[1] ?? []);
  }
  ids = [...new Set(ids)].filter(isSafeId);
  const projects: ProjectSummary[] = [];
  for (let i = 0; i < ids.length; i += READ_AHEAD) {
    const read = await Promise.all(
      ids.slice(i, i + READ_AHEAD).map(async (id) => {
        try {
          const project = await new StoreReader(s3, dataBucket, id).project();
          return { id, name: project.name, created_at: project.created_at };
        } catch (error) {
          if (error instanceof NotFoundError || error instanceof ValidationError) return undefined;
          throw error;
        }
      }),
    );
    for (const project of read) if (project) projects.push(project);
  }
  projects.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  return { projects };
}
