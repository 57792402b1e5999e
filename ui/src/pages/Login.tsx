import { useState } from 'react';
import { token } from '../api/client';

/** Token login: the token is checked with GET /api/v1/whoami and kept in sessionStorage (this tab only). */
export function Login({ onLogin }: { onLogin: () => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    const res = await fetch('/api/v1/whoami', { headers: { authorization: `Bearer ${value.trim()}` } });
    if (!res.ok) {
      const p = (await res.json().catch(() => ({}))) as { detail?: string; title?: string };
      setError(`Login refused: ${p.detail ?? p.title ?? res.statusText}`);
      return;
    }
    token.set(value.trim());
    onLogin();
  };
  return (
    <form
      className="login"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <h2>FlowLens login</h2>
      <p>
        Paste an API token (<code>flowlens token create --role viewer</code> makes one). It stays in this
        browser tab only.
      </p>
      <input
        name="token"
        type="password"
        placeholder="flk_..."
        value={value}
        onChange={(e) => setValue(e.target.value)}
      />
      <button type="submit">Log in</button>
      {error && (
        <div className="error" role="alert">
          {error}
        </div>
      )}
    </form>
  );
}
