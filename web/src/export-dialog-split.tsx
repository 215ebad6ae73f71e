/** The dialog's split section: the subsets and their shares, the seed and the mode. */
import { FieldProblems, type SectionProps } from './export-dialog-fields';
import { MAX_SUBSETS, splitTotal, type ExportDraft, type SubsetDraft } from './rules';
import { UnseenColumnHeader } from './table-parts';

export function SplitFieldset(section: SectionProps) {
  const { draft, update, sending, fields } = section;
  return (
    <fieldset class="group" disabled={sending} aria-describedby={fields.described('split')}>
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
          <SubsetsTable {...section} />
          <SplitTotal {...section} />
          <SplitOrder {...section} />
        </div>
      ) : null}
      <FieldProblems fields={fields} field="split" />
    </fieldset>
  );
}

function SubsetsTable({ draft, update }: SectionProps) {
  const changeSubset = (index: number, change: Partial<SubsetDraft>) =>
    update({ subsets: draft.subsets.map((s, i) => (i === index ? { ...s, ...change } : s)) });
  const removeSubset = (index: number) =>
    update({ subsets: draft.subsets.filter((_, i) => i !== index) });
  return (
    <table class="subsets">
      <caption class="visually-hidden">Subsets</caption>
      <thead>
        <tr>
          <th scope="col">Subset name</th>
          <th scope="col">Share</th>
          <UnseenColumnHeader label="Remove" />
        </tr>
      </thead>
      <tbody>
        {draft.subsets.map((subset, i) => (
          <SubsetRow
            key={i}
            subset={subset}
            number={i + 1}
            removable={draft.subsets.length > 1}
            onChange={(change) => changeSubset(i, change)}
            onRemove={() => removeSubset(i)}
          />
        ))}
      </tbody>
    </table>
  );
}

function SubsetRow(props: {
  subset: SubsetDraft;
  /** From 1, as the labels count. */
  number: number;
  removable: boolean;
  onChange(change: Partial<SubsetDraft>): void;
  onRemove(): void;
}) {
  const { subset, number } = props;
  return (
    <tr>
      <td>
        <input
          type="text"
          aria-label={`Name of subset ${number}`}
          value={subset.name}
          maxLength={32}
          spellcheck={false}
          autoComplete="off"
          onInput={(e) => props.onChange({ name: e.currentTarget.value })}
        />
      </td>
      <td class="percent-cell">
        <input
          type="text"
          inputMode="numeric"
          aria-label={`Share of subset ${number}, percent`}
          value={subset.percent}
          maxLength={3}
          onInput={(e) => props.onChange({ percent: e.currentTarget.value })}
        />
        <span aria-hidden="true">%</span>
      </td>
      <td>
        <button
          type="button"
          class="button-quiet"
          disabled={!props.removable}
          aria-label={`Remove subset ${subset.name || number}`}
          onClick={props.onRemove}
        >
          Remove
        </button>
      </td>
    </tr>
  );
}

/** "Add subset", and the running total of the shares, which must come to 100. */
function SplitTotal({ draft, update, fields }: SectionProps) {
  const total = splitTotal(draft.subsets);
  return (
    <div class="split-footer">
      <button
        type="button"
        class="button-secondary"
        disabled={draft.subsets.length >= MAX_SUBSETS}
        onClick={() => update({ subsets: [...draft.subsets, { name: '', percent: '' }] })}
      >
        Add subset
      </button>
      <output
        class={`split-total ${total === 100 ? 'ok' : 'off'}`}
        aria-live="polite"
        id={fields.id('split-total')}
      >
        Total {total} %{total === 100 ? '' : ' (must be 100 %)'}
      </output>
    </div>
  );
}

/** Which item goes to which subset: the seed and the mode. */
function SplitOrder({ draft, update, fields }: SectionProps) {
  return (
    <div class="grid-2">
      <div class="field">
        <label for={fields.id('seed')}>Seed</label>
        <input
          id={fields.id('seed')}
          type="text"
          inputMode="numeric"
          value={draft.seed}
          onInput={(e) => update({ seed: e.currentTarget.value })}
        />
      </div>
      <div class="field">
        <label for={fields.id('mode')}>Mode</label>
        <select
          id={fields.id('mode')}
          aria-describedby={fields.id('mode-hint')}
          value={draft.mode}
          onChange={(e) => update({ mode: e.currentTarget.value as ExportDraft['mode'] })}
        >
          <option value="random">Random (exact sizes)</option>
          <option value="stable">Stable (items keep their subset)</option>
        </select>
        <p class="hint" id={fields.id('mode-hint')}>
          {draft.mode === 'random'
            ? 'Shuffled by the seed: the same seed and items give the same subsets.'
            : 'By each item’s own hash: new items never move old ones to another subset.'}
        </p>
      </div>
    </div>
  );
}
