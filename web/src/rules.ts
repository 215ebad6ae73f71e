/**
 * The new-export dialog's rules, apart from the dialog: which formats and datasets a task offers,
 * the name the export gets, and every problem the API would refuse, named by the field it belongs
 * beside (DESIGN §5, §6, §9).
 */
import { humanise } from './format';
import type {
  DatasetSummary,
  Encryption,
  ExportRequestBody,
  ExportType,
  Format,
  ProjectTasks,
  SplitMode,
  TaskSummary,
} from './types';
import {
  MAX_AES_PASSWORD_LENGTH,
  MAX_FIELD_LENGTH,
  MAX_PASSWORD_LENGTH,
  MAX_SUBSETS,
  PRINTABLE_PASSWORD,
  SUBSET_NAME,
} from '../../shared/exports/limits';
import { generatedName, invisibleCharacter } from '../../shared/names';

export { MAX_SUBSETS } from '../../shared/exports/limits';

export interface SubsetDraft {
  name: string;
  /** As typed: the field is text so that a half-typed value is not lost. */
  percent: string;
}

/** The dialog's fields as the person fills them. */
export interface ExportDraft {
  type: ExportType;
  /** '' for no task (only for type datasets). */
  taskId: string;
  format: string;
  maskKind: string;
  datasetIds: string[];
  /** `datetime-local` values, in the browser's time zone; '' for open. */
  from: string;
  to: string;
  split: boolean;
  subsets: SubsetDraft[];
  seed: string;
  mode: SplitMode;
  name: string;
  /** Once the person has typed a name it no longer follows the task and format. */
  nameEdited: boolean;
  password: string;
  confirm: string;
  encryption: Encryption;
}

export type Field =
  | 'type'
  | 'task'
  | 'format'
  | 'maskKind'
  | 'datasets'
  | 'dateRange'
  | 'split'
  | 'name'
  | 'password'
  | 'confirm'
  | 'encryption'
  | 'form';

export type Problems = Partial<Record<Field, string[]>>;

/** What the dialog chooses from: the project's tasks and datasets, and GET /formats. */
export interface DialogContext {
  project: ProjectTasks['project'];
  tasks: TaskSummary[];
  datasets: DatasetSummary[];
  formats: Format[];
  /** The clock of the generated name; a parameter so that tests can fix it. */
  now?: () => Date;
}

/** Where the dialog opens: from a task's or a dataset's "Export…" action, or plain. */
export interface DialogPreset {
  taskId?: string;
  datasetId?: string;
}

export function taskOf(context: DialogContext, taskId: string): TaskSummary | undefined {
  return context.tasks.find((t) => t.id === taskId);
}

/** Exactly the formats GET /formats serves for the task's type and media (DESIGN §6). */
export function formatsFor(formats: Format[], task: TaskSummary | undefined): Format[] {
  if (!task) return [];
  return formats.filter((f) => f.taskTypes.includes(task.type) && f.media.includes(task.media));
}

export function maskKindsFor(format: Format | undefined, task: TaskSummary | undefined): string[] {
  if (!format?.maskKinds || !task) return [];
  return format.maskKinds[task.type] ?? [];
}

export function needsTask(type: ExportType): boolean {
  return type !== 'datasets';
}

/** The datasets the dialog offers as checkboxes: the task's, or every dataset without a task. */
export function datasetsOffered(context: DialogContext, draft: ExportDraft): DatasetSummary[] {
  const task = taskOf(context, draft.taskId);
  return task ? task.datasets : context.datasets;
}

function nameFor(context: DialogContext, draft: ExportDraft): string {
  const task = taskOf(context, draft.taskId);
  const format = draft.type === 'datasets' ? 'datasets' : draft.format || undefined;
  return generatedName(
    [context.project.name, task?.name, format],
    (context.now ?? (() => new Date()))(),
  );
}

/**
 * A draft after a change: a format the task does not offer is replaced by its first, a mask kind
 * follows the format, the datasets follow the task (all ticked), and the name follows all of them
 * until the person edits it.
 */
export function settle(
  context: DialogContext,
  previous: ExportDraft | undefined,
  next: ExportDraft,
): ExportDraft {
  const draft = { ...next };
  const task = taskOf(context, draft.taskId);
  if (needsTask(draft.type)) {
    const offered = formatsFor(context.formats, task);
    if (!offered.some((f) => f.id === draft.format)) draft.format = offered[0]?.id ?? '';
    const kinds = maskKindsFor(
      offered.find((f) => f.id === draft.format),
      task,
    );
    if (!kinds.includes(draft.maskKind)) draft.maskKind = kinds[0] ?? '';
  }
  if (!previous || previous.taskId !== draft.taskId) {
    draft.datasetIds = datasetsOffered(context, draft).map((d) => d.id);
  }
  if (!draft.nameEdited) draft.name = nameFor(context, draft);
  return draft;
}

export function initialDraft(context: DialogContext, preset: DialogPreset = {}): ExportDraft {
  const fromDataset = preset.datasetId !== undefined && preset.taskId === undefined;
  const taskId = preset.taskId ?? (fromDataset ? '' : (context.tasks[0]?.id ?? ''));
  const draft = settle(context, undefined, {
    type: fromDataset || !taskId ? 'datasets' : 'both',
    taskId,
    format: '',
    maskKind: '',
    datasetIds: [],
    from: '',
    to: '',
    split: false,
    subsets: [
      { name: 'train', percent: '80' },
      { name: 'val', percent: '20' },
    ],
    seed: '0',
    mode: 'random',
    name: '',
    nameEdited: false,
    password: '',
    confirm: '',
    encryption: 'aes256',
  });
  if (fromDataset) draft.datasetIds = [preset.datasetId!];
  return draft;
}

/** The running total of the split's percentages; what is not a whole number counts nothing. */
export function splitTotal(subsets: SubsetDraft[]): number {
  return subsets.reduce(
    (sum, s) => sum + (/^\d+$/.test(s.percent.trim()) ? Number(s.percent) : 0),
    0,
  );
}

function add(problems: Problems, field: Field, message: string): void {
  (problems[field] ??= []).push(message);
}

/** A `datetime-local` value as an instant, read in the browser's time zone. */
export function instantOf(local: string): string | undefined {
  if (!local) return undefined;
  const time = new Date(local);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

/** Every problem of the draft that the API would refuse, by field; empty when it may be sent. */
export function validateDraft(context: DialogContext, draft: ExportDraft): Problems {
  const problems: Problems = {};
  if (needsTask(draft.type)) checkTaskAndFormat(context, draft, problems);
  const offered = datasetsOffered(context, draft).map((d) => d.id);
  if (draft.datasetIds.filter((id) => offered.includes(id)).length === 0)
    add(problems, 'datasets', 'Tick at least one dataset.');
  checkDateRange(draft, problems);
  if (draft.split) checkSplit(draft, problems);
  checkName(draft, problems);
  checkPassword(draft, problems);
  return problems;
}

function checkTaskAndFormat(context: DialogContext, draft: ExportDraft, problems: Problems): void {
  const task = taskOf(context, draft.taskId);
  const format = formatsFor(context.formats, task).find((f) => f.id === draft.format);
  const kinds = maskKindsFor(format, task);
  if (!task) add(problems, 'task', 'Choose a task: annotations come from one task.');
  else if (!format)
    add(problems, 'format', `Choose one of the formats a ${humanise(task.type)} task offers.`);
  else if (kinds.length > 0 && !kinds.includes(draft.maskKind))
    add(problems, 'maskKind', 'Choose the kind of masks.');
}

function checkDateRange(draft: ExportDraft, problems: Problems): void {
  const from = instantOf(draft.from);
  const to = instantOf(draft.to);
  if (draft.from && !from) add(problems, 'dateRange', 'The start is not a date and time.');
  if (draft.to && !to) add(problems, 'dateRange', 'The end is not a date and time.');
  if (from && to && from >= to) add(problems, 'dateRange', 'The start must be before the end.');
}

function checkSplit(draft: ExportDraft, problems: Problems): void {
  if (draft.subsets.length < 1 || draft.subsets.length > MAX_SUBSETS)
    add(problems, 'split', `A split has 1 to ${MAX_SUBSETS} subsets.`);
  const seen = new Set<string>();
  draft.subsets.forEach((subset, i) => {
    const label = subset.name || `subset ${i + 1}`;
    if (!SUBSET_NAME.test(subset.name))
      add(problems, 'split', `“${label}”: names are 1 to 32 characters of a-z, 0-9, _ and -.`);
    else if (seen.has(subset.name)) add(problems, 'split', `“${label}” is named twice.`);
    seen.add(subset.name);
    const percent = Number(subset.percent);
    if (!/^\d+$/.test(subset.percent.trim()) || percent < 1 || percent > 100)
      add(problems, 'split', `“${label}”: the share is a whole number from 1 to 100.`);
  });
  const total = splitTotal(draft.subsets);
  if (total !== 100) add(problems, 'split', `The shares add up to ${total} %, not 100 %.`);
  if (!/^-?\d+$/.test(draft.seed.trim()) || !Number.isSafeInteger(Number(draft.seed)))
    add(problems, 'split', 'The seed is a whole number.');
}

function checkName(draft: ExportDraft, problems: Problems): void {
  const name = draft.name.trim();
  if (name.length < 1 || name.length > MAX_FIELD_LENGTH)
    add(problems, 'name', `The name is 1 to ${MAX_FIELD_LENGTH} characters.`);
  const invisible = invisibleCharacter(draft.name);
  if (invisible)
    add(problems, 'name', `The name holds an invisible character (${invisible}); take it out.`);
}

function checkPassword(draft: ExportDraft, problems: Problems): void {
  if (!draft.password) {
    if (draft.confirm)
      add(problems, 'confirm', 'Type the password above too, or clear this field.');
    return;
  }
  if (draft.password.length > MAX_PASSWORD_LENGTH || !PRINTABLE_PASSWORD.test(draft.password))
    add(
      problems,
      'password',
      `The password is 1 to ${MAX_PASSWORD_LENGTH} printable ASCII characters (no accents or emoji).`,
    );
  else if (draft.encryption === 'aes256' && draft.password.length > MAX_AES_PASSWORD_LENGTH)
    add(
      problems,
      'password',
      `AES-256 passwords have at most ${MAX_AES_PASSWORD_LENGTH} characters (7-Zip opens no longer ones); this one has ${draft.password.length}.`,
    );
  if (draft.confirm !== draft.password) add(problems, 'confirm', 'The two passwords differ.');
}

export function hasProblems(problems: Problems): boolean {
  return Object.values(problems).some((list) => list && list.length > 0);
}

/** The request body of a valid draft (DESIGN §5). */
export function requestOf(context: DialogContext, draft: ExportDraft): ExportRequestBody {
  const body: ExportRequestBody = { name: draft.name.trim(), type: draft.type };
  if (draft.taskId) body.taskId = draft.taskId;
  if (needsTask(draft.type)) {
    body.format = draft.format;
    if (draft.maskKind && draft.format === 'masks') body.maskKind = draft.maskKind;
  }
  const offered = datasetsOffered(context, draft).map((d) => d.id);
  const chosen = offered.filter((id) => draft.datasetIds.includes(id));
  // All of a task's datasets is the API's default; naming them would freeze today's list.
  if (!draft.taskId || chosen.length < offered.length) body.datasetIds = chosen;
  const from = instantOf(draft.from);
  const to = instantOf(draft.to);
  if (from || to) body.dateRange = { ...(from ? { from } : {}), ...(to ? { to } : {}) };
  if (draft.split) {
    body.split = {
      subsets: draft.subsets.map((s) => ({ name: s.name, percent: Number(s.percent) })),
      seed: Number(draft.seed),
      mode: draft.mode,
    };
  }
  if (draft.password) {
    body.password = draft.password;
    body.encryption = draft.encryption;
  }
  return body;
}

const FIELD_OF_PROBLEM: Array<[RegExp, Field]> = [
  [/^split\b/, 'split'],
  [/^password\b/, 'password'],
  [/^encryption\b/, 'encryption'],
  [/^name\b/, 'name'],
  [/^maskKind\b/, 'maskKind'],
  [/^format\b/, 'format'],
  [/^(taskId|task)\b/, 'task'],
  [/^(datasetIds|dataset)\b/, 'datasets'],
  [/^dateRange\b/, 'dateRange'],
  [/^type\b/, 'type'],
];

/** The API's problem list (400 details), each beside the field it names. */
export function problemsOfApi(messages: string[]): Problems {
  const problems: Problems = {};
  for (const message of messages) {
    const field = FIELD_OF_PROBLEM.find(([pattern]) => pattern.test(message))?.[1] ?? 'form';
    add(problems, field, message);
  }
  return problems;
}
