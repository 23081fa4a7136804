import type { ReactNode } from 'react';

/**
 * A table's horizontal scroll container (narrow screens): a named region in the tab order, so
 * keyboard users can scroll it with the arrow keys (axe `scrollable-region-focusable`).
 * Use it instead of a bare `<div className="table-wrap">`.
 */
export function TableWrap({ label, busy, className, children }: { label: string; busy?: boolean; className?: string; children: ReactNode }) {
  return (
    <div className={className ? `table-wrap ${className}` : 'table-wrap'} role="region" aria-label={label} tabIndex={0} aria-busy={busy}>
      {children}
    </div>
  );
}
