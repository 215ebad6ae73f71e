import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ApiClient } from './api';
import type { Session } from './auth';
import { ExportDialog } from './export-dialog';
import { ExportsTable } from './exports-table';
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
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [formats, setFormats] = useState<Format[]>([]);
  const [tasks, setTasks] = useState<ProjectTasks | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [preset, setPreset] = useState<DialogPreset | null>(null);
  const [openings, setOpenings] = useState(0);
  const route = parseHash(useHash());
  const projectId =
    projects?.find((p) => p.id === route.projectId)?.id ?? projects?.[0]?.id ?? null;
  const exports = useExports(api, projectId);

  useEffect(() => {
    Promise.all([api.projects(), api.formats()]).then(
      ([p, f]) => {
        setProjects(p);
        setFormats(f);
      },
      (e: unknown) => setProblem(e instanceof Error ? e.message : String(e)),
    );
  }, [api]);

  useEffect(() => {
    setTasks(null);
    if (!projectId) return;
    let live = true;
    api.tasks(projectId).then(
      (t) => live && setTasks(t),
      (e: unknown) => live && setProblem(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [api, projectId]);

  useEffect(() => {
    const project = projects?.find((p) => p.id === projectId);
    document.title = project ? `Exports · ${project.name}` : 'Exports · annotation-export';
  }, [projects, projectId]);

  const context = useMemo<DialogContext | null>(
    () =>
      tasks
        ? { project: tasks.project, tasks: tasks.tasks, datasets: tasks.datasets, formats }
        : null,
    [tasks, formats],
  );

  const openDialog = (from: DialogPreset) => {
    if (!projectId) return;
    if (route.view !== 'exports') window.location.hash = hashOf(projectId, 'exports');
    setOpenings((n) => n + 1);
    setPreset(from);
  };

  return (
    <div class="page">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
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
              value={projectId ?? ''}
              onChange={(e) => {
                window.location.hash = hashOf(e.currentTarget.value, route.view);
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
      {projectId ? (
        <nav class="views" aria-label="Project views">
          <a
            href={hashOf(projectId, 'exports')}
            aria-current={route.view === 'exports' ? 'page' : undefined}
          >
            Exports
          </a>
          <a
            href={hashOf(projectId, 'tasks')}
            aria-current={route.view === 'tasks' ? 'page' : undefined}
          >
            Tasks &amp; datasets
          </a>
        </nav>
      ) : null}
      <main id="main" tabIndex={-1}>
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
              You are not a member of any project yet. Ask an administrator to add you to a
              project’s group.
            </p>
          </div>
        ) : null}
        {projectId && route.view === 'exports' ? (
          <>
            <div class="view-header">
              <h1>Exports</h1>
              <button
                type="button"
                class="button-primary"
                disabled={!context}
                onClick={() => openDialog({})}
              >
                New export
              </button>
            </div>
            <ExportsTable
              api={api}
              projectId={projectId}
              tasks={tasks}
              formats={formats}
              exports={exports}
              onNewExport={() => openDialog({})}
            />
          </>
        ) : null}
        {projectId && route.view === 'tasks' ? (
          <>
            <div class="view-header">
              <h1>Tasks &amp; datasets</h1>
            </div>
            <TasksView tasks={tasks} onExport={openDialog} />
          </>
        ) : null}
      </main>
      {context ? (
        <ExportDialog
          key={openings}
          api={api}
          context={context}
          preset={preset}
          onClose={() => setPreset(null)}
          onCreated={exports.add}
        />
      ) : null}
    </div>
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
