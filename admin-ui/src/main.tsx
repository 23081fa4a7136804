import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { ApiProvider } from './lib/api';
import { SessionStore } from './lib/session';
import './styles.css';

function sessionStorageOrNull(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

const store = new SessionStore(sessionStorageOrNull());

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApiProvider store={store}>
      <App />
    </ApiProvider>
  </StrictMode>,
);
