import { createContext } from 'preact';
import { ApiError, asError } from './api.js';
import { useContext } from 'preact/hooks';
import type { Access } from './types.js';

/** What every view knows of the key in use. */
export interface Session {
  access: Access;
  /** A view got 401: the key was refused (the server's keys changed); ask for one again. */
  unauthorized(): void;
}

export const SessionContext = createContext<Session>({ access: 'open', unauthorized: () => {} });

export function useSession(): Session {
  return useContext(SessionContext);
}

/** The read-only key changes nothing: write controls are disabled, with this as their reason. */
export const READ_ONLY_REASON = 'The read-only key cannot change anything on this server.';

/** A failed call as the Error a view shows; a 401 (the key refused) also asks for a key again. */
export function failure(session: Session, problem: unknown): Error {
  if (problem instanceof ApiError && problem.status === 401) session.unauthorized();
  return asError(problem);
}
