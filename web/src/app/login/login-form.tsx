'use client';

import { errorBodySchema } from '@wall/protocol';
import { type FormEvent, useState } from 'react';
import type { Messages } from '../../lib/i18n';

export function LoginForm({ gatewayUrl, t }: { gatewayUrl: string; t: Messages }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError('');
    try {
      const res = await fetch(`${gatewayUrl}/api/auth/login`, {
        method: 'POST',
        credentials: 'include',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: form.get('username'), password: form.get('password') }),
      });
      if (res.ok) {
        window.location.assign('/walls');
        return;
      }
      const body = errorBodySchema.safeParse(await res.json().catch(() => null));
      setError(
        body.success
          ? `${t.loginFailed}: ${body.data.message} (${body.data.code})`
          : `${t.loginFailed} (HTTP ${res.status})`,
      );
    } catch {
      setError(t.loginUnavailable);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={onSubmit} noValidate>
      <label htmlFor="username">{t.username}</label>
      <input id="username" name="username" autoComplete="username" required data-testid="login-username" />
      <label htmlFor="password">{t.password}</label>
      <input
        id="password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
        data-testid="login-password"
      />
      <button type="submit" disabled={busy} data-testid="login-submit">
        {busy ? t.submitting : t.submit}
      </button>
      <div className="error" role="alert" data-testid="login-error">
        {error}
      </div>
    </form>
  );
}
