/** The dialog's sections on the zip itself: the export's name and its password. */
import { MAX_FIELD_LENGTH } from '../../shared/exports/limits';
import { Choice, FieldProblems, type SectionProps } from './export-dialog-fields';
import type { Encryption } from './types';

export function NameField({ draft, update, sending, fields }: SectionProps) {
  return (
    <div class="group field">
      <label for={fields.id('name')}>Export name</label>
      <input
        id={fields.id('name')}
        type="text"
        value={draft.name}
        maxLength={MAX_FIELD_LENGTH}
        readOnly={sending}
        spellcheck={false}
        aria-invalid={fields.invalid('name')}
        aria-describedby={fields.described('name', true)}
        onInput={(e) => update({ name: e.currentTarget.value, nameEdited: true })}
      />
      <p class="hint" id={fields.id('name-hint')}>
        Change it now if you like: an export keeps its name once it has started.
      </p>
      <FieldProblems fields={fields} field="name" />
    </div>
  );
}

const ENCRYPTIONS: Array<{ value: Encryption; label: string; hint: string }> = [
  {
    value: 'aes256',
    label: 'AES-256 (recommended)',
    hint: 'Strong; opens in 7-Zip, WinRAR, macOS Archive Utility and most tools',
  },
  {
    value: 'zipcrypto',
    label: 'ZipCrypto',
    hint: 'Weak, easily broken; choose it only when the zip must open in Windows Explorer or `unzip`, which cannot read AES',
  },
];

export function PasswordFieldset({ draft, update, sending, fields }: SectionProps) {
  return (
    <fieldset class="group" disabled={sending}>
      <legend>
        Password <span class="optional">(optional)</span>
      </legend>
      <div class="grid-2">
        {(['password', 'confirm'] as const).map((field) => (
          <div class="field" key={field}>
            <label for={fields.id(field)}>
              {field === 'password' ? 'Password' : 'Confirm password'}
            </label>
            <input
              id={fields.id(field)}
              type="password"
              autoComplete="new-password"
              value={draft[field]}
              aria-invalid={fields.invalid(field)}
              aria-describedby={fields.described(field)}
              onInput={(e) => update({ [field]: e.currentTarget.value })}
            />
            <FieldProblems fields={fields} field={field} />
          </div>
        ))}
      </div>
      {draft.password ? (
        <div class="choices encryption" role="radiogroup" aria-label="Encryption">
          {ENCRYPTIONS.map((e) => (
            <Choice
              key={e.value}
              name={fields.id('encryption')}
              checked={draft.encryption === e.value}
              label={e.label}
              hint={e.hint}
              onChange={() => update({ encryption: e.value })}
            />
          ))}
          <FieldProblems fields={fields} field="encryption" />
        </div>
      ) : null}
    </fieldset>
  );
}
