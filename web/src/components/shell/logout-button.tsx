'use client';

import { useState } from 'react';
import { GatewayClient } from '../../lib/gateway';

/** Ends the session on the gateway, then goes to the login page (also when the session was gone). */
export function LogoutButton({
  gatewayUrl,
  label,
  busyLabel,
}: {
  gatewayUrl: string;
  label: string;
  busyLabel: string;
}) {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      data-testid="logout"
      disabled={busy}
      onClick={async () => {
        setBusy(true);
        try {
          await new GatewayClient(gatewayUrl).logout();
        } catch {
          // Signed out already (or the gateway is away): the login page is the right place either way.
        }
        window.location.assign('/login');
      }}
    >
      {busy ? busyLabel : label}
    </button>
  );
}
