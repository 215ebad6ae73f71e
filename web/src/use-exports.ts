import {
  useCallback,
  useEffect,
  useRef,
  useState,
  type Dispatch,
  type StateUpdater,
} from 'preact/hooks';
import type { ApiClient } from './api';
import { messageOf } from './format';
import type { ExportRow } from './types';

/** Rows still moving: the table refreshes them every POLL_MS, and does nothing when none is. */
export const POLL_MS = 2000;
export const isActive = (row: ExportRow) => row.status === 'QUEUED' || row.status === 'RUNNING';

export interface ExportsState {
  /** null while the first page loads. */
  rows: ExportRow[] | null;
  error: string | null;
  hasMore: boolean;
  loadingMore: boolean;
  loadMore(): void;
  reload(): void;
  add(row: ExportRow): void;
  remove(id: string): void;
}

type Rows = ExportRow[] | null;

/** The exports table of one project, newest first, paged, with its moving rows kept live. */
export function useExports(api: ApiClient, projectId: string | null): ExportsState {
  const [rows, setRows] = useState<Rows>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    setRows(null);
    setCursor(null);
    setError(null);
    if (!projectId) return;
    let live = true;
    api.exports(projectId).then(
      (page) => {
        if (!live) return;
        setRows(page.items);
        setCursor(page.next_cursor);
      },
      (e: unknown) => live && setError(messageOf(e)),
    );
    return () => {
      live = false;
    };
  }, [api, projectId, generation]);

  useLiveRows(api, projectId, rows, setRows);

  const loadMore = useCallback(() => {
    if (!projectId || !cursor) return;
    setLoadingMore(true);
    api.exports(projectId, cursor).then(
      (page) => {
        setRows((list) => appendNew(list, page.items));
        setCursor(page.next_cursor);
        setLoadingMore(false);
      },
      (e: unknown) => {
        setError(messageOf(e));
        setLoadingMore(false);
      },
    );
  }, [api, projectId, cursor]);

  return {
    rows,
    error,
    hasMore: cursor !== null,
    loadingMore,
    loadMore,
    reload: () => setGeneration((g) => g + 1),
    add: (row) => setRows((list) => [row, ...(list ?? []).filter((r) => r.id !== row.id)]),
    remove: (id) => setRows((list) => (list ?? []).filter((r) => r.id !== id)),
  };
}

/** An older page after the rows already shown, less those a newer row has already brought. */
function appendNew(list: Rows, older: ExportRow[]): ExportRow[] {
  const have = new Set((list ?? []).map((r) => r.id));
  return [...(list ?? []), ...older.filter((r) => !have.has(r.id))];
}

/** Every POLL_MS while some row is moving: those rows again, as the API now has them. */
function useLiveRows(
  api: ApiClient,
  projectId: string | null,
  rows: Rows,
  setRows: Dispatch<StateUpdater<Rows>>,
): void {
  const current = useRef(projectId);
  current.current = projectId;
  const activeIds = (rows ?? [])
    .filter(isActive)
    .map((r) => r.id)
    .join(',');
  useEffect(() => {
    if (!projectId || !activeIds) return;
    const timer = setTimeout(async () => {
      const fresh = await Promise.all(
        activeIds.split(',').map((id) => api.exportOf(projectId, id).catch(() => undefined)),
      );
      if (current.current !== projectId) return;
      setRows((list) => (list ?? []).map((row) => fresh.find((f) => f?.id === row.id) ?? row));
    }, POLL_MS);
    return () => clearTimeout(timer);
    // Rows are compared by what they say, so that each answer schedules the next refresh.
  }, [api, projectId, activeIds, rows]);
}
