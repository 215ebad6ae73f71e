/** The parts every section of the new-export dialog is built from. */
import type { ComponentChildren } from 'preact';
import type { DialogContext, ExportDraft, Field, Problems } from './rules';

/** The ids of one opening's controls, and what marks and describes each field. */
export interface Fields {
  id(name: string): string;
  /** The ids of the field's hint (when it has one) and of its problems (when it has some). */
  described(field: Field, hint?: boolean): string | undefined;
  invalid(field: Field): true | undefined;
  problems: Problems;
}

export function fieldsOf(prefix: string, problems: Problems): Fields {
  const id = (name: string) => `${prefix}-${name}`;
  return {
    id,
    described: (field, hint) =>
      [hint ? id(`${field}-hint`) : '', problems[field]?.length ? id(`${field}-problems`) : '']
        .filter(Boolean)
        .join(' ') || undefined,
    invalid: (field) => (problems[field]?.length ? true : undefined),
    problems,
  };
}

/** What each section of the dialog reads and changes. */
export interface SectionProps {
  context: DialogContext;
  draft: ExportDraft;
  update(change: Partial<ExportDraft>): void;
  sending: boolean;
  fields: Fields;
}

export function ProblemList({ id, problems }: { id: string; problems: string[] | undefined }) {
  if (!problems || problems.length === 0) return null;
  return (
    <ul class="field-problems" id={id} role="list">
      {problems.map((p) => (
        <li key={p}>{p}</li>
      ))}
    </ul>
  );
}

/** The field's problems, under it, by the id its control is described by. */
export function FieldProblems({ fields, field }: { fields: Fields; field: Field }) {
  return <ProblemList id={fields.id(`${field}-problems`)} problems={fields.problems[field]} />;
}

export function SelectField(props: {
  fields: Fields;
  field: 'task' | 'format' | 'maskKind';
  label: ComponentChildren;
  value: string;
  disabled: boolean;
  onChange(value: string): void;
  children: ComponentChildren;
}) {
  const { fields, field } = props;
  return (
    <div class="field">
      <label for={fields.id(field)}>{props.label}</label>
      <select
        id={fields.id(field)}
        value={props.value}
        disabled={props.disabled}
        aria-invalid={fields.invalid(field)}
        aria-describedby={fields.described(field)}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        {props.children}
      </select>
      <FieldProblems fields={fields} field={field} />
    </div>
  );
}

/** A radio button as a card: its label, and a hint of what choosing it means. */
export function Choice(props: {
  name: string;
  value?: string;
  checked: boolean;
  label: string;
  hint: string;
  onChange(): void;
}) {
  return (
    <label class="choice">
      <input
        type="radio"
        name={props.name}
        value={props.value}
        checked={props.checked}
        onChange={props.onChange}
      />
      <span>
        <span class="choice-label">{props.label}</span>
        <span class="choice-hint">{props.hint}</span>
      </span>
    </label>
  );
}
