import { useEffect, useRef } from 'react';
import { useSession, useSessionStore } from './lib/api';
import { canOpen, screenForPath, visibleScreens } from './lib/nav';
import { ROLE_LABELS } from './lib/roles';
import { Link, matchPath, navigate, useLocation, type Location } from './lib/router';
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
  const { session } = useSession();
  const location = useLocation();

  useEffect(() => {
    if (!session) document.title = 'Sign in · Marquee admin';
  }, [session]);

  if (!session) return <SignIn />;
  return <Shell session={session} location={location} />;
}

function Shell({ session, location }: { session: Session; location: Location }) {
  const store = useSessionStore();
  const screens = visibleScreens(session.role);
  const current = screenForPath(location.path);
  const mainRef = useRef<HTMLElement>(null);

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
      <header className="topbar">
        <Link to="/" className="brand">
          Marquee <span>admin</span>
        </Link>
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
          <span>
            {session.email} <span className="role">{ROLE_LABELS[session.role]}</span>
          </span>
          <button
            type="button"
            className="secondary small"
            onClick={() => {
              store.signOut('signed-out');
              navigate('/', { replace: true });
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1}>
        <Route session={session} location={location} />
      </main>
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
