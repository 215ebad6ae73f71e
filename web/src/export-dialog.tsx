import { useEffect, useMemo, useRef, useState, type MutableRef } from 'preact/hooks';
import type { JSX } from 'preact';
import { ApiError, type ApiClient } from './api';
import { NameField, PasswordFieldset } from './export-dialog-archive';
import { fieldsOf, ProblemList, type SectionProps } from './export-dialog-fields';
import {
  DatasetsFieldset,
  DateRangeFieldset,
  TaskFields,
  TypeFieldset,
} from './export-dialog-scope';
import { SplitFieldset } from './export-dialog-split';
import { trapTab } from './focus';
import { messageOf } from './format';
import {
  hasProblems,
  initialDraft,
  problemsOfApi,
  requestOf,
  settle,
  validateDraft,
  type DialogContext,
  type DialogPreset,
  type ExportDraft,
  type Problems,
} from './rules';
import type { ExportRow } from './types';

export interface ExportDialogProps {
  api: ApiClient;
  context: DialogContext;
  /** Where it was opened from; null while closed. */
  preset: DialogPreset | null;
  onClose(): void;
  onCreated(row: ExportRow): void;
}

let idSequence = 0;

/**
 * The new-export dialog (a modal <dialog>: the page behind is inert, Escape closes it). Mount it
 * anew for each opening (a `key`), so that it opens already filled for its preset. It refuses
 * what the API would refuse before sending, and shows the API's own problem list beside the fields
 * when the API refuses anyway.
 */
export function ExportDialog(props: ExportDialogProps) {
  const { context, preset, onClose } = props;
  const dialog = useRef<HTMLDialogElement>(null);
  const open = preset !== null;
  useModal(dialog, open);
  const form = useExportForm(props, dialog);
  const prefix = useMemo(() => `export-dialog-${++idSequence}`, []);
  const fields = fieldsOf(prefix, form.problems);
  const { draft, update, sending } = form;
  const section: SectionProps = { context, draft, update, sending, fields };
  return (
    <dialog
      ref={dialog}
      class="export-dialog"
      aria-labelledby={fields.id('title')}
      onClose={() => open && onClose()}
      onKeyDown={(event) => trapTab(event, dialog.current)}
    >
      <form method="dialog" onSubmit={form.submit} noValidate>
        <header class="dialog-header">
          <h2 id={fields.id('title')}>New export</h2>
          <p class="dialog-subtitle">{context.project.name}</p>
        </header>
        <div class="dialog-body">
          {form.problems.form?.length ? (
            <div class="form-problems" role="alert" tabIndex={-1}>
              <ProblemList id={fields.id('form-problems')} problems={form.problems.form} />
            </div>
          ) : null}
          <TypeFieldset {...section} />
          <TaskFields {...section} />
          <DatasetsFieldset {...section} />
          <DateRangeFieldset {...section} />
          <SplitFieldset {...section} />
          <NameField {...section} />
          <PasswordFieldset {...section} />
        </div>
        <footer class="dialog-footer">
          <button type="button" class="button-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button-primary" disabled={form.sending}>
            {form.sending ? 'Starting…' : 'Start export'}
          </button>
        </footer>
      </form>
    </dialog>
  );
}

/** Shows the <dialog> as a modal while `open`, and closes it after. */
function useModal(dialog: MutableRef<HTMLDialogElement | null>, open: boolean): void {
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    else if (!open && element.open) element.close();
  }, [open]);
}

/** The draft as it is filled in, its problems, and its sending to the API. */
function useExportForm(
  { api, context, preset, onClose, onCreated }: ExportDialogProps,
  dialog: MutableRef<HTMLDialogElement | null>,
) {
  const [draft, setDraft] = useState<ExportDraft>(() => initialDraft(context, preset ?? {}));
  const [problems, setProblems] = useState<Problems>({});
  const [sending, setSending] = useState(false);
  // One key per opening (the dialog is mounted anew each time): a double submit or a retry after
  // a lost answer starts one export.
  const [idempotencyKey] = useState(() => crypto.randomUUID());

  const update = (change: Partial<ExportDraft>) => {
    setDraft((previous) => settle(context, previous, { ...previous, ...change }));
  };

  async function submit(event: JSX.TargetedEvent<HTMLFormElement>) {
    event.preventDefault();
    if (sending) return;
    const found = validateDraft(context, draft);
    setProblems(found);
    if (hasProblems(found)) {
      focusFirstProblem(dialog.current);
      return;
    }
    setSending(true);
    try {
      const body = requestOf(context, draft);
      onCreated(await api.createExport(context.project.id, body, idempotencyKey));
      onClose();
    } catch (error) {
      setSending(false);
      setProblems(problemsOfFailure(error));
      focusFirstProblem(dialog.current);
    }
  }

  return { draft, update, problems, sending, submit };
}

/** The API's refusal beside the fields it names; any other failure above the form. */
function problemsOfFailure(error: unknown): Problems {
  if (error instanceof ApiError && error.details.length > 0) return problemsOfApi(error.details);
  const message = messageOf(error);
  return error instanceof ApiError && /^task\b/.test(message)
    ? { task: [message] }
    : { form: [`The export was not started: ${message}`] };
}

function focusFirstProblem(dialog: HTMLDialogElement | null): void {
  requestAnimationFrame(() => {
    const target = dialog?.querySelector<HTMLElement>('[aria-invalid="true"], .form-problems');
    target?.focus();
  });
}
