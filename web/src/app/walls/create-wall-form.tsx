'use client';

import { createWallSchema, WALL_LAYOUTS } from '@wall/protocol';
import { type FormEvent, useState } from 'react';
import { wallStrings } from '../../components/wall';
import styles from '../../components/wall/wall.module.css';
import { errorBodyOfUnknown, GatewayClient } from '../../lib/gateway';
import type { Lang } from '../../lib/i18n';

/** `POST /api/walls` (name + layout), then the new wall's console. */
export function CreateWallForm({
  gatewayUrl,
  csrfToken,
  lang,
}: {
  gatewayUrl: string;
  csrfToken: string;
  lang: Lang;
}) {
  const t = wallStrings(lang);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const input = createWallSchema.safeParse({ name: form.get('name'), layout: form.get('layout') });
    if (!input.success) {
      setError(input.error.issues.map((i) => i.message).join('; '));
      return;
    }
    setBusy(true);
    setError('');
    try {
      const wall = await new GatewayClient(gatewayUrl, { csrfToken }).createWall(input.data);
      window.location.assign(`/walls/${wall.id}${lang === 'en' ? '?lang=en' : ''}`);
    } catch (err) {
      const b = errorBodyOfUnknown(err);
      setError(`${b.message} (${b.code})`);
      setBusy(false);
    }
  }

  return (
    <form className={styles.createForm} onSubmit={onSubmit} data-testid="create-wall">
      <div>
        <label htmlFor="wall-name">{t.wallName}</label>
        <input id="wall-name" name="name" required maxLength={100} data-testid="create-wall-name" />
      </div>
      <div>
        <label htmlFor="wall-layout">{t.layout}</label>
        <select id="wall-layout" name="layout" defaultValue="9" data-testid="create-wall-layout">
          {WALL_LAYOUTS.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" disabled={busy} data-testid="create-wall-submit">
        {busy ? t.creating : t.create}
      </button>
      <div className="error" role="alert">
        {error}
      </div>
    </form>
  );
}
