import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api, token } from './api/client';
import { Loading } from './components';
import { Login } from './pages/Login';
import { Overview } from './pages/Overview';
import './style.css';
import { navigate, useLocation } from './util';

// Pages other than the first are loaded on demand: the first page's JavaScript stays small.
const Explore = lazy(() => import('./pages/Explore'));
const Dependencies = lazy(() => import('./pages/Dependencies'));
const Flows = lazy(() => import('./pages/Flows'));
const Exporters = lazy(() => import('./pages/Exporters'));
const Tokens = lazy(() => import('./pages/Tokens'));

export interface Who {
  auth: 'none' | 'token' | 'jwt';
  name: string;
  role: 'viewer' | 'operator' | 'admin';
  tenant: string | null;
}

const PAGES = [
  { path: '/', title: 'Overview' },
  { path: '/explore', title: 'Explore' },
  { path: '/dependencies', title: 'Dependencies' },
  { path: '/flows', title: 'Flows' },
  { path: '/exporters', title: 'Exporters' },
  { path: '/tokens', title: 'Tokens', role: 'admin' },
];

function Page({ path, who }: { path: string; who: Who }) {
  switch (path) {
    case '/':
      return <Overview />;
    case '/explore':
      return <Explore />;
    case '/dependencies':
      return <Dependencies />;
    case '/flows':
      return <Flows />;
    case '/exporters':
      return <Exporters />;
    case '/tokens':
      return who.role === 'admin' ? <Tokens /> : <div className="empty">Tokens need the admin role.</div>;
    default:
      return <div className="empty">No page {path}. Start at the Overview.</div>;
  }
}

function App() {
  const { path } = useLocation();
  const [who, setWho] = useState<Who | null | 'login'>(null);
  const refresh = useCallback(async () => {
    const r = await api.GET('/api/v1/whoami');
    if (r.response.status === 401) setWho('login');
    else if (r.data) setWho(r.data as Who);
    else setWho('login');
  }, []);
  useEffect(() => {
    refresh();
  }, [refresh]);
  if (who === null) return <Loading />;
  if (who === 'login') return <Login onLogin={refresh} />;
  return (
    <>
      {who.auth === 'none' && (
        <div className="banner" role="status">
          Authentication is off (auth.mode: none): everyone acts as admin. Only for a local trial.
        </div>
      )}
      <nav>
        <strong>FlowLens</strong>
        {PAGES.filter((p) => !p.role || p.role === who.role).map((p) => (
          <a
            key={p.path}
            href={p.path}
            className={p.path === path ? 'active' : ''}
            onClick={(e) => {
              e.preventDefault();
              navigate(p.path);
            }}
          >
            {p.title}
          </a>
        ))}
        <span className="who">
          {who.name} ({who.role})
          {who.auth !== 'none' && (
            <button
              type="button"
              onClick={() => {
                token.clear();
                setWho('login');
              }}
            >
              Log out
            </button>
          )}
        </span>
      </nav>
      <main>
        <Suspense fallback={<Loading />}>
          <Page path={path} who={who} />
        </Suspense>
      </main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(<App />);
