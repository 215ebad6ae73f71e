import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ApiClient } from './api';
import type { Session } from './auth';
import { ExportDialog } from './export-dialog';
import { ExportsTable, type ExportsTableProps } from './exports-table';
import { messageOf } from './format';
import type { DialogContext, DialogPreset } from './rules';
import { TasksView } from './tasks-view';
import type { Format, Project, ProjectTasks } from './types';
import { useExports } from './use-exports';

type View = 'exports' | 'tasks';

/** `#/{projectId}/{view}`: the address says which project and view, so reloads and links keep them. */
function parseHash(hash: string): { projectId: string | null; view: View } {
  const [, project, view] = hash.split('/');
  return {
    projectId: project ? decodeURIComponent(project) : null,
    view: view === 'tasks' ? 'tasks' : 'exports',
  };
}

const hashOf = (projectId: string, view: View) => `#/${encodeURIComponent(projectId)}/${view}`;

function useHash(): string {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const changed = () => setHash(window.location.hash);
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

export function App({ api, session }: { api: ApiClient; session: Session }) {
  const { projects, formats, problem, setProblem } = useProjects(api);
  const route = parseHash(useHash());
  const projectId =
    projects?.find((p) => p.id === route.projectId)?.id ?? projects?.[0]?.id ?? null;
  const exports = useExports(api, projectId);
  const tasks = useTasks(api, projectId, setProblem);
  const dialog = useDialogOpenings(projectId, route.view, tasks, formats);

  useEffect(() => {
    const project = projects?.find((p) => p.id === projectId);
    document.title = project ? `Exports · ${project.name}` : 'Exports · annotation-export';
  }, [projects, projectId]);

  return (
    <div class="page">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <TopBar projects={projects} projectId={projectId} view={route.view} session={session} />
      {projectId ? <ViewLinks projectId={projectId} view={route.view} /> : null}
      <main id="main" tabIndex={-1}>
        <Notices problem={problem} projects={projects} />
        {projectId && route.view === 'exports' ? (
          <ExportsView
            api={api}
            projectId={projectId}
            tasks={tasks}
            formats={formats}
            exports={exports}
            canCreate={dialog.context !== null}
            onNewExport={() => dialog.open({})}
          />
        ) : null}
        {projectId && route.view === 'tasks' ? (
          <>
            <div class="view-header">
              <h1>Tasks &amp; datasets</h1>
            </div>
            <TasksView tasks={tasks} onExport={dialog.open} />
          </>
        ) : null}
      </main>
      {dialog.context ? (
        <ExportDialog
          key={dialog.openings}
          api={api}
          context={dialog.context}
          preset={dialog.preset}
          onClose={dialog.close}
          onCreated={exports.add}
        />
      ) : null}
    </div>
  );
}

/**
 * Where the new-export dialog opens (null while it is closed) and what it chooses from, which is
 * there once the project's tasks are. It opens over the exports view, where its export will show.
 */
function useDialogOpenings(
  projectId: string | null,
  view: View,
  tasks: ProjectTasks | null,
  formats: Format[],
) {
  const [preset, setPreset] = useState<DialogPreset | null>(null);
  // Each opening mounts the dialog anew, filled for its preset.
  const [openings, setOpenings] = useState(0);
  const context = useMemo<DialogContext | null>(
    () =>
      tasks
        ? { project: tasks.project, tasks: tasks.tasks, datasets: tasks.datasets, formats }
        : null,
    [tasks, formats],
  );
  const open = (from: DialogPreset) => {
    if (!projectId) return;
    if (view !== 'exports') window.location.hash = hashOf(projectId, 'exports');
    setOpenings((n) => n + 1);
    setPreset(from);
  };
  return { context, preset, openings, open, close: () => setPreset(null) };
}

function ExportsView(props: ExportsTableProps & { canCreate: boolean }) {
  const { canCreate, ...table } = props;
  return (
    <>
      <div class="view-header">
        <h1>Exports</h1>
        <button
          type="button"
          class="button-primary"
          disabled={!canCreate}
          onClick={props.onNewExport}
        >
          New export
        </button>
      </div>
      <ExportsTable {...table} />
    </>
  );
}

/** The projects the person may see and the formats the API serves, once; or why they are not. */
function useProjects(api: ApiClient) {
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [formats, setFormats] = useState<Format[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    Promise.all([api.projects(), api.formats()]).then(
      ([p, f]) => {
        setProjects(p);
        setFormats(f);
      },
      (e: unknown) => setProblem(messageOf(e)),
    );
  }, [api]);
  return { projects, formats, problem, setProblem };
}

/** The tasks and datasets of the project shown: null while they load. */
function useTasks(
  api: ApiClient,
  projectId: string | null,
  onProblem: (message: string) => void,
): ProjectTasks | null {
  const [tasks, setTasks] = useState<ProjectTasks | null>(null);
  useEffect(() => {
    setTasks(null);
    if (!projectId) return;
    let live = true;
    api.tasks(projectId).then(
      (t) => live && setTasks(t),
      (e: unknown) => live && onProblem(messageOf(e)),
    );
    return () => {
      live = false;
    };
  }, [api, projectId]);
  return tasks;
}

function TopBar(props: {
  projects: Project[] | null;
  projectId: string | null;
  view: View;
  session: Session;
}) {
  const { projects, session } = props;
  return (
    <header class="top-bar">
      <div class="brand">
        <span class="brand-mark" aria-hidden="true" />
        annotation-export
      </div>
      {projects && projects.length > 0 ? (
        <div class="project-picker">
          <label for="project">Project</label>
          <select
            id="project"
            value={props.projectId ?? ''}
            onChange={(e) => {
              window.location.hash = hashOf(e.currentTarget.value, props.view);
            }}
          >
            {projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      {session.needsSignIn ? (
        <div class="user">
          <span class="user-name">{session.user}</span>
          <button type="button" class="button-quiet on-dark" onClick={session.signOut}>
            Sign out
          </button>
        </div>
      ) : null}
    </header>
  );
}

const VIEW_LABELS: Record<View, string> = { exports: 'Exports', tasks: 'Tasks & datasets' };

function ViewLinks({ projectId, view }: { projectId: string; view: View }) {
  return (
    <nav class="views" aria-label="Project views">
      {(['exports', 'tasks'] as const).map((v) => (
        <a key={v} href={hashOf(projectId, v)} aria-current={view === v ? 'page' : undefined}>
          {VIEW_LABELS[v]}
        </a>
      ))}
    </nav>
  );
}

/** Why nothing shows: the projects are loading, could not load, or there are none. */
function Notices({ problem, projects }: { problem: string | null; projects: Project[] | null }) {
  return (
    <>
      {problem ? (
        <div class="notice notice-error" role="alert">
          <p>{problem}</p>
        </div>
      ) : null}
      {!projects && !problem ? (
        <p class="loading" role="status">
          Loading projects…
        </p>
      ) : null}
      {projects && projects.length === 0 ? (
        <div class="empty">
          <h1>No projects</h1>
          <p>
            You are not a member of any project yet. Ask an administrator to add you to a project’s
            group.
          </p>
        </div>
      ) : null}
    </>
  );
}

export function SignIn({ session, problem }: { session: Session; problem?: string }) {
  return (
    <main class="sign-in" id="main">
      <div class="sign-in-card">
        <h1>annotation-export</h1>
        <p>Make, watch and download the exports of your projects.</p>
        {problem ? (
          <p class="form-problems" role="alert">
            {problem}
          </p>
        ) : null}
        <button type="button" class="button-primary" onClick={() => void session.signIn()}>
          Sign in
        </button>
      </div>
    </main>
  );
}
