'use client';

import { useState } from 'react';
import { GatewayClient, isGatewayError } from '../../lib/gateway';
import type { Lang } from '../../lib/i18n';
import styles from './emergency.module.css';
import { emergencyStrings, reasonWords } from './strings';

/**
 * Confirms a major incident as the second command user (`POST /api/incidents/:id/confirm`); the
 * gateway decides who may and says why not, shown in words with the code. Reloads on success.
 */
export function ConfirmIncidentButton({
  gatewayUrl,
  incidentId,
  lang,
}: {
  gatewayUrl: string;
  incidentId: string;
  lang: Lang;
}) {
  const t = emergencyStrings(lang);
  const [busy, setBusy] = useState(false);
  const [refused, setRefused] = useState<string | null>(null);
  return (
    <span>
      <button
        type="button"
        data-testid="incident-confirm"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setRefused(null);
          try {
            await new GatewayClient(gatewayUrl).confirmIncident(incidentId);
            window.location.reload();
          } catch (err) {
            setRefused(isGatewayError(err) ? err.code : 'internal');
            setBusy(false);
          }
        }}
      >
        {busy ? t.confirming : t.confirmAction}
      </button>
      {refused && (
        <span className={styles.bad} role="alert" data-testid="incident-confirm-refused" data-code={refused}>
          {' '}
          {t.confirmRefused}: {reasonWords(lang, refused)}
        </span>
      )}
    </span>
  );
}
