import { ApiError } from './api.js';

/** An error as the user reads it: the API's stable code and its message, announced to screen readers. */
export function Problem({ error }: { error: Error | undefined }) {
  if (error === undefined) return null;
  return (
    <p class="problem" role="alert">
      {error instanceof ApiError ? (
        <>
          <strong>
            {error.status} {error.code}
          </strong>
          : {error.message}
        </>
      ) : (
        error.message
      )}
    </p>
  );
}
