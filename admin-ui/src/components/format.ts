export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatNumber(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatRating(r: number | null | undefined): string {
  return r == null ? '—' : r.toFixed(2);
}
