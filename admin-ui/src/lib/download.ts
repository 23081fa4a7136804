// Saves data as a file through a temporary object URL (the browser's download).
import { exportFileContent } from './privacy';

export function downloadJson(fileName: string, data: unknown): void {
  const blob = new Blob([exportFileContent(data)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Give the browser time to start the download before revoking.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
