import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { collectionPath, getJson } from './api.js';
import { failure, useSession } from './session.js';
import type { CollectionInfo, CollectionStatus } from './types.js';

export interface RequestState<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  /** Runs the request again (keeps the last data meanwhile). */
  reload(): void;
}

/**
 * Runs `load` now and whenever `deps` change (and every `everyMs` while the
 * tab is visible, when given); the answer of a superseded run is dropped.
 * A 401 asks the session for a key again.
 */
export function useRequest<T>(load: () => Promise<T>, deps: readonly unknown[], everyMs?: number): RequestState<T> {
  const session = useSession();
  const [data, setData] = useState<T | undefined>(undefined);
  // The deps the data was read for: until the request for new deps has answered, the data shown is not theirs.
  const [dataKey, setDataKey] = useState<string | undefined>(undefined);
  const key = JSON.stringify(deps);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const run = useRef(0);
  const reload = useCallback(() => {
    const id = ++run.current;
    setLoading(true);
    load().then(
      (value) => {
        if (id !== run.current) return;
        setData(value);
        setDataKey(key);
        setError(undefined);
        setLoading(false);
      },
      (problem: unknown) => {
        if (id !== run.current) return;
        setError(failure(session, problem));
        setLoading(false);
      },
    );
  }, deps);
  useEffect(() => {
    reload();
    if (everyMs === undefined) return;
    // Not while the tab is hidden: nobody is looking, and the server has better things to do.
    const timer = setInterval(() => document.visibilityState === 'visible' && reload(), everyMs);
    return () => clearInterval(timer);
  }, [reload, everyMs]);
  return { data, error, loading: loading || (error === undefined && dataKey !== key), reload };
}

/** A collection's info (GET /collections/{name}): undefined until read, or when it could not be opened; why not, when the call failed. */
export function useCollectionInfo(collection: string): { info: CollectionInfo | undefined; error: Error | undefined } {
  const { data, error } = useRequest(() => getJson<CollectionStatus>(collectionPath(collection)), [collection]);
  return { info: data === undefined || data.state === 'unavailable' ? undefined : data, error };
}
