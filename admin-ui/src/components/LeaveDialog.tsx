import { useEffect, useRef, useState } from 'react';
import { setNavigationConfirm } from '../lib/router';
import { ConfirmDialog } from './ConfirmDialog';

interface Question {
  messages: readonly string[];
  resolve: (leave: boolean) => void;
}

/**
 * The "Leave this page?" dialog the router shows when a screen with unsaved changes would be
 * left (lib/unsaved.ts). Mounted once by the app shell.
 */
export function LeaveDialog() {
  const [question, setQuestion] = useState<Question | null>(null);
  const current = useRef<Question | null>(null);

  useEffect(() => {
    const remove = setNavigationConfirm(
      (messages) =>
        new Promise<boolean>((resolve) => {
          current.current?.resolve(false);
          const q = { messages, resolve };
          current.current = q;
          setQuestion(q);
        }),
    );
    return () => {
      remove();
      current.current?.resolve(false);
      current.current = null;
    };
  }, []);

  const answer = (leave: boolean) => {
    current.current?.resolve(leave);
    current.current = null;
    setQuestion(null);
  };

  const messages = question?.messages ?? [];
  return (
    <ConfirmDialog
      open={question !== null}
      title="Leave this page?"
      confirmLabel="Leave without saving"
      cancelLabel="Stay on this page"
      onConfirm={() => answer(true)}
      onCancel={() => answer(false)}
    >
      {messages.length === 1 ? (
        <p>{messages[0]}</p>
      ) : (
        <ul>
          {messages.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
      <p>If you leave now, these changes are lost.</p>
    </ConfirmDialog>
  );
}
