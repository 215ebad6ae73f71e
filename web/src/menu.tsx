import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface MenuItem {
  label: string;
  onSelect(): void;
}

/** The menu's open state, and its focus: on the first item when it opens, back on the button. */
function useMenu() {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLUListElement>(null);

  // Focus moves with the render that shows the menu, so no key press can fall between.
  useLayoutEffect(() => {
    if (open) menu.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
  }, [open]);

  useEffect(() => {
    if (!open) return;
    const outside = (event: MouseEvent) => {
      if (!menu.current?.contains(event.target as Node) && event.target !== button.current)
        setOpen(false);
    };
    document.addEventListener('mousedown', outside);
    return () => document.removeEventListener('mousedown', outside);
  }, [open]);

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  return { open, setOpen, close, button, menu };
}

/** Arrows, Home and End move among the items; Escape closes onto the button, Tab leaves. */
function onMenuKey(
  event: KeyboardEvent,
  menu: HTMLElement | null,
  close: (refocus: boolean) => void,
) {
  const entries = [...(menu?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
  const at = entries.indexOf(document.activeElement as HTMLElement);
  if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
    event.preventDefault();
    const step = event.key === 'ArrowDown' ? 1 : -1;
    entries[(at + step + entries.length) % entries.length]?.focus();
  } else if (event.key === 'Home' || event.key === 'End') {
    event.preventDefault();
    entries[event.key === 'Home' ? 0 : entries.length - 1]?.focus();
  } else if (event.key === 'Escape') {
    event.preventDefault();
    close(true);
  } else if (event.key === 'Tab') {
    close(false);
  }
}

/**
 * An action menu (the WAI-ARIA menu button pattern): Enter, Space or ArrowDown opens it on its
 * first item, arrows move, Escape or Tab closes it and focus returns to the button.
 */
export function ActionMenu({ label, items }: { label: string; items: MenuItem[] }) {
  const { open, setOpen, close, button, menu } = useMenu();
  return (
    <div class="menu">
      <button
        ref={button}
        type="button"
        class="button-secondary menu-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={label}
        onClick={() => setOpen(!open)}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown') {
            event.preventDefault();
            setOpen(true);
          }
        }}
      >
        <span aria-hidden="true">Actions ▾</span>
      </button>
      {open ? (
        <ul
          ref={menu}
          class="menu-list"
          role="menu"
          aria-label={label}
          onKeyDown={(event) => onMenuKey(event, menu.current, close)}
        >
          {items.map((item) => (
            <li key={item.label} role="none">
              <button
                type="button"
                role="menuitem"
                tabIndex={-1}
                onClick={() => {
                  close(true);
                  item.onSelect();
                }}
              >
                {item.label}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
