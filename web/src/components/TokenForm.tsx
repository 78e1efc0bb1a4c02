import { useState } from 'preact/hooks';

/** The page itself needs no token; its data does. Asked once, kept for the browser session. */
export function TokenForm(props: { refusal?: string; onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="card"
      onSubmit={(event) => {
        event.preventDefault();
        if (value.trim()) props.onToken(value.trim());
      }}
    >
      <h2>Sign in</h2>
      <p>
        Enter the relay's API token (<code>RELAY_API_TOKEN</code>). It is kept in this tab only, until you close it.
      </p>
      {props.refusal && (
        <p class="error" role="alert">
          {props.refusal}
        </p>
      )}
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autoComplete="current-password" required value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      <button type="submit">Show deployments</button>
    </form>
  );
}
