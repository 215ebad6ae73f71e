/** The dialog's sections on what goes into the export: its type, task, format, datasets and dates. */
import { Choice, FieldProblems, SelectField, type SectionProps } from './export-dialog-fields';
import { humanise } from './format';
import { datasetsOffered, formatsFor, maskKindsFor, needsTask, taskOf } from './rules';
import type { ExportType } from './types';

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

export function TypeFieldset({ draft, update, sending, fields }: SectionProps) {
  return (
    <fieldset class="group" disabled={sending} aria-describedby={fields.described('type')}>
      <legend>What to export</legend>
      <div class="choices">
        {TYPES.map((t) => (
          <Choice
            key={t.value}
            name={fields.id('type')}
            value={t.value}
            checked={draft.type === t.value}
            label={t.label}
            hint={t.hint}
            onChange={() => update({ type: t.value })}
          />
        ))}
      </div>
      <FieldProblems fields={fields} field="type" />
    </fieldset>
  );
}

/** The task, and for annotations the format and (for masks) the mask kind it offers. */
export function TaskFields(section: SectionProps) {
  const { context, draft, update, sending, fields } = section;
  const withTask = needsTask(draft.type);
  return (
    <div class="group grid-2">
      <SelectField
        fields={fields}
        field="task"
        label={<>Task{withTask ? '' : <span class="optional"> (optional)</span>}</>}
        value={draft.taskId}
        disabled={sending}
        onChange={(taskId) => update({ taskId })}
      >
        {!withTask || !draft.taskId ? <option value="">No task: every dataset</option> : null}
        {context.tasks.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name} ({humanise(t.type)}, {t.media})
          </option>
        ))}
      </SelectField>
      {withTask ? <FormatFields {...section} /> : null}
    </div>
  );
}

function FormatFields({ context, draft, update, sending, fields }: SectionProps) {
  const task = taskOf(context, draft.taskId);
  const formats = formatsFor(context.formats, task);
  const maskKinds = maskKindsFor(
    formats.find((f) => f.id === draft.format),
    task,
  );
  return (
    <>
      <SelectField
        fields={fields}
        field="format"
        label="Format"
        value={draft.format}
        disabled={sending || formats.length === 0}
        onChange={(format) => update({ format })}
      >
        {formats.length === 0 ? <option value="">Choose a task first</option> : null}
        {formats.map((f) => (
          <option key={f.id} value={f.id}>
            {f.label}
          </option>
        ))}
      </SelectField>
      {maskKinds.length > 0 ? (
        <SelectField
          fields={fields}
          field="maskKind"
          label="Mask kind"
          value={draft.maskKind}
          disabled={sending}
          onChange={(maskKind) => update({ maskKind })}
        >
          {maskKinds.map((k) => (
            <option key={k} value={k}>
              {humanise(k)}
            </option>
          ))}
        </SelectField>
      ) : null}
    </>
  );
}

export function DatasetsFieldset({ context, draft, update, sending, fields }: SectionProps) {
  const offered = datasetsOffered(context, draft);
  const toggle = (id: string, ticked: boolean) =>
    update({
      datasetIds: ticked ? [...draft.datasetIds, id] : draft.datasetIds.filter((x) => x !== id),
    });
  return (
    <fieldset class="group" disabled={sending} aria-describedby={fields.described('datasets')}>
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
                onChange={(e) => toggle(d.id, e.currentTarget.checked)}
              />
              <span>
                {d.name} <span class="muted">({d.media})</span>
              </span>
            </label>
          ))}
        </div>
      )}
      <FieldProblems fields={fields} field="datasets" />
    </fieldset>
  );
}

export function DateRangeFieldset(section: SectionProps) {
  const { draft, sending, fields } = section;
  return (
    <fieldset
      class="group"
      disabled={sending}
      aria-describedby={fields.described('dateRange', true)}
    >
      <legend>
        Date range <span class="optional">(optional)</span>
      </legend>
      <p class="hint" id={fields.id('dateRange-hint')}>
        {draft.type === 'datasets'
          ? 'Keeps the items added in this range.'
          : 'Keeps the items whose latest annotation falls in this range.'}{' '}
        Times are in your time zone.
      </p>
      <div class="grid-2">
        <DateField {...section} end="from" label="From (inclusive)" />
        <DateField {...section} end="to" label="To (exclusive)" />
      </div>
      <FieldProblems fields={fields} field="dateRange" />
    </fieldset>
  );
}

function DateField({
  draft,
  update,
  fields,
  end,
  label,
}: SectionProps & { end: 'from' | 'to'; label: string }) {
  return (
    <div class="field">
      <label for={fields.id(end)}>{label}</label>
      <input
        id={fields.id(end)}
        type="datetime-local"
        value={draft[end]}
        aria-invalid={fields.invalid('dateRange')}
        onInput={(e) => update({ [end]: e.currentTarget.value })}
      />
    </div>
  );
}
