import { useEffect, useId, useRef, type ReactNode, type RefObject } from 'react';

function restoreFocus(opener: { current: HTMLElement | null }) {
  const el = opener.current;
  opener.current = null;
  if (el?.isConnected) el.focus();
}

/**
 * A modal <dialog> titled by its heading: `showModal` makes the page behind it inert and moves
 * focus in (to `initialFocus` when given), closing returns focus where it was. Escape calls
 * `onCancel`; without one, Escape does nothing (the dialog must be answered).
 */
export function Modal({
  open,
  title,
  children,
  onCancel,
  initialFocus,
  className,
  describedBy,
}: {
  open: boolean;
  title: ReactNode;
  children: ReactNode;
  onCancel?: () => void;
  initialFocus?: RefObject<HTMLElement | null>;
  className?: string;
  /** Id of the element describing the dialog (read out when it opens). */
  describedBy?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const titleId = `${useId()}-title`;
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      d.showModal();
      initialFocus?.current?.focus();
    }
    if (!open && d.open) {
      d.close();
      restoreFocus(opener);
    }
  }, [open, initialFocus]);
  // A dialog removed while open (rendered conditionally) gets no native focus return.
  useEffect(() => {
    const d = ref.current;
    return () => {
      if (!d?.isConnected) restoreFocus(opener);
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={className}
      aria-labelledby={titleId}
      aria-describedby={describedBy}
      onCancel={(e) => {
        e.preventDefault();
        onCancel?.();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}
