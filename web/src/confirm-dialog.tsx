import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { trapTab } from './focus';

/** A modal yes/no question; the safe answer has the focus first. */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  busy?: boolean;
  problem?: string | null;
  onConfirm(): void;
  onCancel(): void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (props.open && !element.open) {
      element.showModal();
      cancel.current?.focus();
    } else if (!props.open && element.open) element.close();
  }, [props.open]);
  return (
    <dialog
      ref={dialog}
      class="confirm-dialog"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-body"
      onClose={() => props.open && props.onCancel()}
      onKeyDown={(event) => trapTab(event, dialog.current)}
    >
      <h2 id="confirm-title">{props.title}</h2>
      <div id="confirm-body">{props.children}</div>
      {props.problem ? (
        <p class="form-problems" role="alert">
          {props.problem}
        </p>
      ) : null}
      <div class="dialog-footer">
        <button ref={cancel} type="button" class="button-secondary" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class="button-danger" disabled={props.busy} onClick={props.onConfirm}>
          {props.busy ? 'Deleting…' : props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
