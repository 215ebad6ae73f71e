import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { ApiError, type ApiClient } from './api';
import { trapTab } from './focus';
import { humanise } from './format';
import {
  datasetsOffered,
  formatsFor,
  hasProblems,
  initialDraft,
  maskKindsFor,
  MAX_SUBSETS,
  needsTask,
  problemsOfApi,
  requestOf,
  settle,
  splitTotal,
  taskOf,
  validateDraft,
  type DialogContext,
  type DialogPreset,
  type ExportDraft,
  type Field,
  type Problems,
} from './rules';
import type { ExportRow, ExportType } from './types';

export interface ExportDialogProps {
  api: ApiClient;
  context: DialogContext;
  /** Where it was opened from; null while closed. */
  preset: DialogPreset | null;
  onClose(): void;
  onCreated(row: ExportRow): void;
}

const TYPES: Array<{ value: ExportType; label: string; hint: string }> = [
  {
    value: 'both',
    label: 'Annotations and images',
    hint: 'The format files with the images they describe',
  },
  { value: 'annotations', label: 'Annotations only', hint: 'Just the format files' },
  {
    value: 'datasets',
    label: 'Images only',
    hint: 'The dataset images (or video frames), no labels',
  },
];

let idSequence = 0;

function ProblemList({ id, problems }: { id: string; problems: string[] | undefined }) {
  if (!problems || problems.length === 0) return null;
  return (
    <ul class="field-problems" id={id} role="list">
      {problems.map((p) => (
        <li key={p}>{p}</li>
      ))}
    </ul>
  );
}

/**
 * The new-export dialog (a modal <dialog>: the page behind is inert, Escape closes it). Mount it
 * anew for each opening (a `key`), so that it opens already filled for its preset. It refuses
 * what the API would refuse before sending, and shows the API's own problem list beside the fields
 * when the API refuses anyway.
 */
export function ExportDialog({ api, context, preset, onClose, onCreated }: ExportDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [draft, setDraft] = useState<ExportDraft>(() => initialDraft(context, preset ?? {}));
  const [problems, setProblems] = useState<Problems>({});
  const [sending, setSending] = useState(false);
  // One key per opening (the dialog is mounted anew each time): a double submit or a retry after
  // a lost answer starts one export.
  const [idempotencyKey] = useState(() => crypto.randomUUID());
  const prefix = useMemo(() => `export-dialog-${++idSequence}`, []);
  const open = preset !== null;

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    else if (!open && element.open) element.close();
  }, [open]);

  const update = (change: Partial<ExportDraft>) => {
    setDraft((previous) => settle(context, previous, { ...previous, ...change }));
  };

  const task = taskOf(context, draft.taskId);
  const formats = formatsFor(context.formats, task);
  const format = formats.find((f) => f.id === draft.format);
  const maskKinds = maskKindsFor(format, task);
  const offered = datasetsOffered(context, draft);
  const total = splitTotal(draft.subsets);
  const id = (field: string) => `${prefix}-${field}`;
  const described = (field: Field, hint?: boolean) =>
    [hint ? id(`${field}-hint`) : '', problems[field]?.length ? id(`${field}-problems`) : '']
      .filter(Boolean)
      .join(' ') || undefined;
  const invalid = (field: Field) => (problems[field]?.length ? true : undefined);

  async function submit(event: JSX.TargetedEvent<HTMLFormElement>) {
    event.preventDefault();
    if (sending) return;
    const found = validateDraft(context, draft);
    setProblems(found);
    if (hasProblems(found)) {
      focusFirstProblem();
      return;
    }
    setSending(true);
    try {
      const row = await api.createExport(
        context.project.id,
        requestOf(context, draft),
        idempotencyKey,
      );
      onCreated(row);
      onClose();
    } catch (error) {
      setSending(false);
      if (error instanceof ApiError && error.details.length > 0) {
        setProblems(problemsOfApi(error.details));
      } else {
        const message = error instanceof Error ? error.message : String(error);
        setProblems(
          error instanceof ApiError && /^task\b/.test(message)
            ? { task: [message] }
            : { form: [`The export was not started: ${message}`] },
        );
      }
      focusFirstProblem();
    }
  }

  function focusFirstProblem() {
    requestAnimationFrame(() => {
      const target = dialog.current?.querySelector<HTMLElement>(
        '[aria-invalid="true"], .form-problems',
      );
      target?.focus();
    });
  }

  const setSubset = (index: number, change: Partial<ExportDraft['subsets'][number]>) =>
    update({ subsets: draft.subsets.map((s, i) => (i === index ? { ...s, ...change } : s)) });

  return (
    <dialog
      ref={dialog}
      class="export-dialog"
      aria-labelledby={id('title')}
      onClose={() => open && onClose()}
      onKeyDown={(event) => trapTab(event, dialog.current)}
    >
      <form method="dialog" onSubmit={submit} noValidate>
        <header class="dialog-header">
          <h2 id={id('title')}>New export</h2>
          <p class="dialog-subtitle">{context.project.name}</p>
        </header>
        <div class="dialog-body">
          {problems.form?.length ? (
            <div class="form-problems" role="alert" tabIndex={-1}>
              <ProblemList id={id('form-problems')} problems={problems.form} />
            </div>
          ) : null}

          <fieldset class="group" disabled={sending} aria-describedby={described('type')}>
            <legend>What to export</legend>
            <div class="choices">
              {TYPES.map((t) => (
                <label class="choice" key={t.value}>
                  <input
                    type="radio"
                    name={id('type')}
                    value={t.value}
                    checked={draft.type === t.value}
                    onChange={() => update({ type: t.value })}
                  />
                  <span>
                    <span class="choice-label">{t.label}</span>
                    <span class="choice-hint">{t.hint}</span>
                  </span>
                </label>
              ))}
            </div>
            <ProblemList id={id('type-problems')} problems={problems.type} />
          </fieldset>

          <div class="group grid-2">
            <div class="field">
              <label for={id('task')}>
                Task{needsTask(draft.type) ? '' : <span class="optional"> (optional)</span>}
              </label>
              <select
                id={id('task')}
                value={draft.taskId}
                disabled={sending}
                aria-invalid={invalid('task')}
                aria-describedby={described('task')}
                onChange={(e) => update({ taskId: e.currentTarget.value })}
              >
                {!needsTask(draft.type) || !draft.taskId ? (
                  <option value="">No task: every dataset</option>
                ) : null}
                {context.tasks.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name} ({humanise(t.type)}, {t.media})
                  </option>
                ))}
              </select>
              <ProblemList id={id('task-problems')} problems={problems.task} />
            </div>
            {needsTask(draft.type) ? (
              <div class="field">
                <label for={id('format')}>Format</label>
                <select
                  id={id('format')}
                  value={draft.format}
                  disabled={sending || formats.length === 0}
                  aria-invalid={invalid('format')}
                  aria-describedby={described('format')}
                  onChange={(e) => update({ format: e.currentTarget.value })}
                >
                  {formats.length === 0 ? <option value="">Choose a task first</option> : null}
                  {formats.map((f) => (
                    <option key={f.id} value={f.id}>
                      {f.label}
                    </option>
                  ))}
                </select>
                <ProblemList id={id('format-problems')} problems={problems.format} />
              </div>
            ) : null}
            {needsTask(draft.type) && maskKinds.length > 0 ? (
              <div class="field">
                <label for={id('maskKind')}>Mask kind</label>
                <select
                  id={id('maskKind')}
                  value={draft.maskKind}
                  disabled={sending}
                  aria-invalid={invalid('maskKind')}
                  aria-describedby={described('maskKind')}
                  onChange={(e) => update({ maskKind: e.currentTarget.value })}
                >
                  {maskKinds.map((k) => (
                    <option key={k} value={k}>
                      {humanise(k)}
                    </option>
                  ))}
                </select>
                <ProblemList id={id('maskKind-problems')} problems={problems.maskKind} />
              </div>
            ) : null}
          </div>

          <fieldset class="group" disabled={sending} aria-describedby={described('datasets')}>
            <legend>Datasets</legend>
            {offered.length === 0 ? (
              <p class="muted">This task has no datasets.</p>
            ) : (
              <div class="checks">
                {offered.map((d) => (
                  <label class="check" key={d.id}>
                    <input
                      type="checkbox"
                      value={d.id}
                      checked={draft.datasetIds.includes(d.id)}
                      onChange={(e) =>
                        update({
                          datasetIds: e.currentTarget.checked
                            ? [...draft.datasetIds, d.id]
                            : draft.datasetIds.filter((x) => x !== d.id),
                        })
                      }
                    />
                    <span>
                      {d.name} <span class="muted">({d.media})</span>
                    </span>
                  </label>
                ))}
              </div>
            )}
            <ProblemList id={id('datasets-problems')} problems={problems.datasets} />
          </fieldset>

          <fieldset
            class="group"
            disabled={sending}
            aria-describedby={described('dateRange', true)}
          >
            <legend>
              Date range <span class="optional">(optional)</span>
            </legend>
            <p class="hint" id={id('dateRange-hint')}>
              {draft.type === 'datasets'
                ? 'Keeps the items added in this range.'
                : 'Keeps the items whose latest annotation falls in this range.'}{' '}
              Times are in your time zone.
            </p>
            <div class="grid-2">
              <div class="field">
                <label for={id('from')}>From (inclusive)</label>
                <input
                  id={id('from')}
                  type="datetime-local"
                  value={draft.from}
                  aria-invalid={invalid('dateRange')}
                  onInput={(e) => update({ from: e.currentTarget.value })}
                />
              </div>
              <div class="field">
                <label for={id('to')}>To (exclusive)</label>
                <input
                  id={id('to')}
                  type="datetime-local"
                  value={draft.to}
                  aria-invalid={invalid('dateRange')}
                  onInput={(e) => update({ to: e.currentTarget.value })}
                />
              </div>
            </div>
            <ProblemList id={id('dateRange-problems')} problems={problems.dateRange} />
          </fieldset>

          <fieldset class="group" disabled={sending} aria-describedby={described('split')}>
            <legend>Split</legend>
            <label class="check">
              <input
                type="checkbox"
                checked={draft.split}
                onChange={(e) => update({ split: e.currentTarget.checked })}
              />
              <span>Split my export into subsets</span>
            </label>
            {draft.split ? (
              <div class="split">
                <table class="subsets">
                  <caption class="visually-hidden">Subsets</caption>
                  <thead>
                    <tr>
                      <th scope="col">Subset name</th>
                      <th scope="col">Share</th>
                      <th scope="col">
                        <span class="visually-hidden">Remove</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {draft.subsets.map((subset, i) => (
                      <tr key={i}>
                        <td>
                          <input
                            type="text"
                            aria-label={`Name of subset ${i + 1}`}
                            value={subset.name}
                            maxLength={32}
                            spellcheck={false}
                            autoComplete="off"
                            onInput={(e) => setSubset(i, { name: e.currentTarget.value })}
                          />
                        </td>
                        <td class="percent-cell">
                          <input
                            type="text"
                            inputMode="numeric"
                            aria-label={`Share of subset ${i + 1}, percent`}
                            value={subset.percent}
                            maxLength={3}
                            onInput={(e) => setSubset(i, { percent: e.currentTarget.value })}
                          />
                          <span aria-hidden="true">%</span>
                        </td>
                        <td>
                          <button
                            type="button"
                            class="button-quiet"
                            disabled={draft.subsets.length <= 1}
                            aria-label={`Remove subset ${subset.name || i + 1}`}
                            onClick={() =>
                              update({ subsets: draft.subsets.filter((_, j) => j !== i) })
                            }
                          >
                            Remove
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <div class="split-footer">
                  <button
                    type="button"
                    class="button-secondary"
                    disabled={draft.subsets.length >= MAX_SUBSETS}
                    onClick={() =>
                      update({ subsets: [...draft.subsets, { name: '', percent: '' }] })
                    }
                  >
                    Add subset
                  </button>
                  <output
                    class={`split-total ${total === 100 ? 'ok' : 'off'}`}
                    aria-live="polite"
                    id={id('split-total')}
                  >
                    Total {total} %{total === 100 ? '' : ' (must be 100 %)'}
                  </output>
                </div>
                <div class="grid-2">
                  <div class="field">
                    <label for={id('seed')}>Seed</label>
                    <input
                      id={id('seed')}
                      type="text"
                      inputMode="numeric"
                      value={draft.seed}
                      onInput={(e) => update({ seed: e.currentTarget.value })}
                    />
                  </div>
                  <div class="field">
                    <label for={id('mode')}>Mode</label>
                    <select
                      id={id('mode')}
                      aria-describedby={id('mode-hint')}
                      value={draft.mode}
                      onChange={(e) =>
                        update({ mode: e.currentTarget.value as ExportDraft['mode'] })
                      }
                    >
                      <option value="random">Random (exact sizes)</option>
                      <option value="stable">Stable (items keep their subset)</option>
                    </select>
                    <p class="hint" id={id('mode-hint')}>
                      {draft.mode === 'random'
                        ? 'Shuffled by the seed: the same seed and items give the same subsets.'
                        : 'By each item’s own hash: new items never move old ones to another subset.'}
                    </p>
                  </div>
                </div>
              </div>
            ) : null}
            <ProblemList id={id('split-problems')} problems={problems.split} />
          </fieldset>

          <div class="group field">
            <label for={id('name')}>Export name</label>
            <input
              id={id('name')}
              type="text"
              value={draft.name}
              maxLength={128}
              readOnly={sending}
              spellcheck={false}
              aria-invalid={invalid('name')}
              aria-describedby={described('name', true)}
              onInput={(e) => update({ name: e.currentTarget.value, nameEdited: true })}
            />
            <p class="hint" id={id('name-hint')}>
              Change it now if you like: an export keeps its name once it has started.
            </p>
            <ProblemList id={id('name-problems')} problems={problems.name} />
          </div>

          <fieldset class="group" disabled={sending}>
            <legend>
              Password <span class="optional">(optional)</span>
            </legend>
            <div class="grid-2">
              {(['password', 'confirm'] as const).map((field) => (
                <div class="field" key={field}>
                  <label for={id(field)}>
                    {field === 'password' ? 'Password' : 'Confirm password'}
                  </label>
                  <input
                    id={id(field)}
                    type="password"
                    autoComplete="new-password"
                    value={draft[field]}
                    aria-invalid={invalid(field)}
                    aria-describedby={described(field)}
                    onInput={(e) => update({ [field]: e.currentTarget.value })}
                  />
                  <ProblemList id={id(`${field}-problems`)} problems={problems[field]} />
                </div>
              ))}
            </div>
            {draft.password ? (
              <div class="choices encryption" role="radiogroup" aria-label="Encryption">
                <label class="choice">
                  <input
                    type="radio"
                    name={id('encryption')}
                    checked={draft.encryption === 'aes256'}
                    onChange={() => update({ encryption: 'aes256' })}
                  />
                  <span>
                    <span class="choice-label">AES-256 (recommended)</span>
                    <span class="choice-hint">
                      Strong; opens in 7-Zip, WinRAR, macOS Archive Utility and most tools
                    </span>
                  </span>
                </label>
                <label class="choice">
                  <input
                    type="radio"
                    name={id('encryption')}
                    checked={draft.encryption === 'zipcrypto'}
                    onChange={() => update({ encryption: 'zipcrypto' })}
                  />
                  <span>
                    <span class="choice-label">ZipCrypto</span>
                    <span class="choice-hint">
                      Weak, easily broken; choose it only when the zip must open in Windows Explorer
                      or `unzip`, which cannot read AES
                    </span>
                  </span>
                </label>
                <ProblemList id={id('encryption-problems')} problems={problems.encryption} />
              </div>
            ) : null}
          </fieldset>
        </div>
        <footer class="dialog-footer">
          <button type="button" class="button-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button-primary" disabled={sending}>
            {sending ? 'Starting…' : 'Start export'}
          </button>
        </footer>
      </form>
    </dialog>
  );
}
