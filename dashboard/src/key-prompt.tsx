import { useState } from 'preact/hooks';

/**
 * The server has API keys: ask for one. It is kept in this tab's
 * sessionStorage only (api.ts), never in a cookie or localStorage.
 */
export function KeyPrompt({ refused, onKey }: { refused: boolean; onKey(key: string): void }) {
  const [key, setKey] = useState('');
  return (
    <section class="key-prompt" aria-labelledby="key-heading">
      <h2 id="key-heading">This server needs an API key</h2>
      <p>
        Enter the read-write key, or the read-only key to look without changing anything. The key is kept only in this tab and is forgotten
        when it closes.
      </p>
      {refused && (
        <p class="problem" role="alert">
          <strong>401 UNAUTHORIZED</strong>: the server did not accept that key.
        </p>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (key.trim() !== '') onKey(key.trim());
        }}
      >
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autocomplete="off" required value={key} onInput={(event) => setKey(event.currentTarget.value)} />
        <button type="submit">Use this key</button>
      </form>
    </section>
  );
}
