import { describeError } from '../lib/errors';

/** An API error by its code, readable, announced to screen readers. */
export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (error === undefined || error === null) return null;
  const { code, title, detail } = describeError(error);
  if (code === 'ABORTED') return null;
  return (
    <div className="error" role="alert" data-code={code}>
      <p>
        <strong>{title}</strong> <span className="code">({code})</span>
      </p>
      {detail && <p className="error-detail">{detail}</p>}
      {onRetry && (
        <button type="button" className="secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
