/** Forward cursor pagination with a stack of earlier cursors for "Previous". */
export function Pager({
  label,
  page,
  pageSize,
  shown,
  total,
  hasNext,
  onPrevious,
  onNext,
  busy,
}: {
  label: string;
  page: number;
  pageSize: number;
  shown: number;
  total: number;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  busy?: boolean;
}) {
  const from = total === 0 ? 0 : page * pageSize + 1;
  const to = page * pageSize + shown;
  return (
    <nav className="pager" aria-label={label}>
      <p aria-live="polite">
        {total === 0 ? 'No results' : `Showing ${from}–${to} of ${total}`}
      </p>
      <div className="actions">
        <button type="button" className="secondary" onClick={onPrevious} disabled={page === 0 || busy}>
          Previous page
        </button>
        <button type="button" className="secondary" onClick={onNext} disabled={!hasNext || busy}>
          Next page
        </button>
      </div>
    </nav>
  );
}
