import type { ComponentType } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { access as fetchAccess, ApiError, asError, forgetKey, storedKey, storeKey } from './api.js';
import { CollectionsView } from './collections-view.js';
import { DocumentsView } from './documents-view.js';
import { KeyPrompt } from './key-prompt.js';
import { href, useRoute, type Route } from './routes.js';
import { SearchView } from './search-view.js';
import { SessionContext, type Session } from './session.js';
import type { Access } from './types.js';

type Gate = { state: 'checking' } | { state: 'key'; refused: boolean } | { state: 'in'; access: Access } | { state: 'down'; error: Error };

const VIEWS: { view: Route['view']; label: string }[] = [
  { view: 'collections', label: 'Collections' },
  { view: 'documents', label: 'Documents' },
  { view: 'search', label: 'Search' },
  { view: 'metrics', label: 'Metrics' },
];

const ACCESS_LABEL: Record<Access, string> = { 'read-write': 'read-write key', 'read-only': 'read-only key', open: 'no keys on this server' };

/** The metrics view and its chart library (most of the page's script) load when the view is first opened. */
function LazyMetricsView() {
  const [view, setView] = useState<{ Component: ComponentType } | { error: Error } | null>(null);
  useEffect(() => {
    import('./metrics-view.js').then(
      (module) => setView({ Component: module.MetricsView }),
      (error: unknown) => setView({ error: asError(error) }),
    );
  }, []);
  if (view === null) return <p role="status">Loading the charts…</p>;
  if ('error' in view) return <p class="problem" role="alert">The charts could not be loaded: {view.error.message}</p>;
  return <view.Component />;
}

export function App() {
  const route = useRoute();
  const [gate, setGate] = useState<Gate>({ state: 'checking' });

  /** Asks the server what the stored key (or none) allows. */
  const check = useCallback(async () => {
    try {
      setGate({ state: 'in', access: await fetchAccess() });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        const refused = storedKey() !== null;
        forgetKey();
        setGate({ state: 'key', refused });
      } else {
        setGate({ state: 'down', error: asError(error) });
      }
    }
  }, []);
  useEffect(() => void check(), [check]);

  const session = useMemo<Session>(
    () => ({ access: gate.state === 'in' ? gate.access : 'open', unauthorized: () => void check() }),
    [gate, check],
  );
  // The collection a view shows goes with the user from one view to the next.
  const collection = 'collection' in route ? route.collection : undefined;

  return (
    <SessionContext.Provider value={session}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <h1>Quiver</h1>
        {gate.state === 'in' && (
          <nav aria-label="Dashboard">
            <ul>
              {VIEWS.map(({ view, label }) => (
                <li key={view}>
                  <a
                    href={href(view === 'documents' || view === 'search' ? { view, collection } : ({ view } as Route))}
                    aria-current={route.view === view ? 'page' : undefined}
                  >
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {gate.state === 'in' && (
          <p class="session">
            <span class={`badge access-${gate.access}`}>{ACCESS_LABEL[gate.access]}</span>
            {storedKey() !== null && (
              <button
                type="button"
                class="link"
                onClick={() => {
                  forgetKey();
                  void check();
                }}
              >
                Forget key
              </button>
            )}
          </p>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {gate.state === 'checking' && <p role="status">Connecting to the server…</p>}
        {gate.state === 'down' && (
          <p class="problem" role="alert">
            The server did not answer: {gate.error.message}
          </p>
        )}
        {gate.state === 'key' && (
          <KeyPrompt
            refused={gate.refused}
            onKey={(key) => {
              storeKey(key);
              void check();
            }}
          />
        )}
        {gate.state === 'in' && route.view === 'collections' && <CollectionsView />}
        {gate.state === 'in' && route.view === 'documents' && <DocumentsView collection={route.collection} />}
        {gate.state === 'in' && route.view === 'search' && <SearchView collection={route.collection} like={route.like} />}
        {gate.state === 'in' && route.view === 'metrics' && <LazyMetricsView />}
      </main>
    </SessionContext.Provider>
  );
}
