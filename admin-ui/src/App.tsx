import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { LeaveDialog } from './components/LeaveDialog';
import { ReauthDialog, SessionExpiryBanner } from './components/SessionRenewal';
import { useSession, useSessionStore } from './lib/api';
import { canOpen, screenForPath, visibleScreens } from './lib/nav';
import { ROLE_LABELS } from './lib/roles';
import { confirmLeave, Link, matchPath, navigate, useLocation, type Location } from './lib/router';
import type { Session } from './lib/session';
import { AuditLog } from './screens/AuditLog';
import { Catalogue } from './screens/Catalogue';
import { CollectionEditor } from './screens/CollectionEditor';
import { Collections } from './screens/Collections';
import { Dashboard } from './screens/Dashboard';
import { DeletionRequestDetail } from './screens/DeletionRequestDetail';
import { Diversity } from './screens/Diversity';
import { ExperimentDetail } from './screens/ExperimentDetail';
import { Experiments } from './screens/Experiments';
import { MovieEditor } from './screens/MovieEditor';
import { NewExperiment } from './screens/NewExperiment';
import { Pins } from './screens/Pins';
import { Preview } from './screens/Preview';
import { Privacy } from './screens/Privacy';
import { SignIn } from './screens/SignIn';
import { Staff } from './screens/Staff';
import { UserDetail } from './screens/UserDetail';
import { Users } from './screens/Users';

export function App() {
  const { session, lapsed } = useSession();
  const location = useLocation();
  // A session that lapsed while the console was open keeps its screen, with whatever was
  // typed, under a dialog asking the same account to sign in again.
  const shown = session ?? lapsed;

  useEffect(() => {
    if (!shown) document.title = 'Sign in · Marquee admin';
  }, [shown]);

  if (!shown) return <SignIn />;
  return <Shell session={shown} lapsed={!session} location={location} />;
}

function Shell({ session, lapsed, location }: { session: Session; lapsed: boolean; location: Location }) {
  const store = useSessionStore();
  const screens = visibleScreens(session.role);
  const current = screenForPath(location.path);
  const mainRef = useRef<HTMLElement>(null);
  const menuButtonRef = useRef<HTMLButtonElement>(null);
  // At narrow widths the navigation and account are behind a menu button (styles.css).
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [location.path]);

  const closeMenuOnEscape = (e: KeyboardEvent) => {
    if (e.key !== 'Escape' || !menuOpen) return;
    e.preventDefault();
    setMenuOpen(false);
    menuButtonRef.current?.focus();
  };

  async function signOut() {
    if (!(await confirmLeave())) return;
    store.signOut('signed-out');
    navigate('/', { replace: true, force: true });
  }

  // On navigation: set the title and move focus to the new page's heading.
  const first = useRef(true);
  useEffect(() => {
    document.title = `${current?.label ?? 'Not found'} · Marquee admin`;
    if (first.current) {
      first.current = false;
      return;
    }
    requestAnimationFrame(() => mainRef.current?.querySelector<HTMLElement>('h1')?.focus());
  }, [location.path, current?.label]);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar" onKeyDown={closeMenuOnEscape}>
        <Link to="/" className="brand">
          Marquee <span>admin</span>
        </Link>
        <button
          ref={menuButtonRef}
          type="button"
          className="menu-button secondary small"
          aria-expanded={menuOpen}
          aria-controls="main-menu"
          onClick={() => setMenuOpen((o) => !o)}
        >
          <span aria-hidden="true">☰</span> Menu
        </button>
        <div
          id="main-menu"
          className={`menu${menuOpen ? ' open' : ''}`}
          onClick={(e) => {
            // A link to the page already shown does not navigate: close the menu anyway.
            if ((e.target as HTMLElement).closest('a')) setMenuOpen(false);
          }}
        >
          <nav aria-label="Main">
            <ul>
              {screens.map((s) => (
                <li key={s.id}>
                  <Link to={s.path} aria-current={current?.id === s.id ? 'page' : undefined}>
                    {s.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          <div className="who">
            <span className="who-name">
              {session.email} <span className="role">{ROLE_LABELS[session.role]}</span>
            </span>
            <button type="button" className="secondary small" onClick={signOut}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1}>
        {!lapsed && <SessionExpiryBanner session={session} />}
        <Route session={session} location={location} />
      </main>
      <LeaveDialog />
      {lapsed && <ReauthDialog session={session} mode="expired" />}
    </>
  );
}

function Route({ session, location }: { session: Session; location: Location }) {
  const { path } = location;
  if (!screenForPath(path)) return <NotFound />;
  if (!canOpen(session.role, path)) return <NotAllowed />;
  if (path === '/') return <Dashboard session={session} />;
  if (path === '/catalogue') return <Catalogue session={session} location={location} />;
  if (path === '/catalogue/new') return <MovieEditor id={null} />;
  const movie = matchPath('/catalogue/:id', path);
  if (movie) return <MovieEditor id={movie.id!} />;
  if (path === '/users') return <Users location={location} />;
  const user = matchPath('/users/:id', path);
  if (user) return <UserDetail id={user.id!} session={session} />;
  if (path === '/collections') return <Collections location={location} />;
  if (path === '/collections/new') return <CollectionEditor slug={null} />;
  const collection = matchPath('/collections/:slug', path);
  if (collection) return <CollectionEditor slug={collection.slug!} />;
  if (path === '/pins') return <Pins location={location} />;
  if (path === '/diversity') return <Diversity session={session} location={location} />;
  if (path === '/experiments') return <Experiments location={location} />;
  if (path === '/experiments/new') return <NewExperiment />;
  const experiment = matchPath('/experiments/:id', path);
  if (experiment) return <ExperimentDetail id={experiment.id!} />;
  if (path === '/preview') return <Preview session={session} location={location} />;
  if (path === '/privacy') return <Privacy location={location} />;
  const request = matchPath('/privacy/:id', path);
  if (request) return <DeletionRequestDetail id={request.id!} />;
  if (path === '/audit') return <AuditLog location={location} />;
  if (path === '/staff') return <Staff session={session} />;
  return <NotFound />;
}

function NotFound() {
  return (
    <>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        <Link to="/">Go to the dashboard</Link>
      </p>
    </>
  );
}

function NotAllowed() {
  return (
    <>
      <h1 tabIndex={-1}>Not available to your role</h1>
      <p>Your role cannot use this screen.</p>
      <p>
        <Link to="/">Go to the dashboard</Link>
      </p>
    </>
  );
}
