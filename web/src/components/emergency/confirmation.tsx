import type { Lang } from '../../lib/i18n';
import styles from './emergency.module.css';
import { formatTime } from './format';
import { emergencyStrings } from './strings';

export interface ConfirmationFacts {
  confirmBy: string | null;
  confirmedAt: string | null;
  confirmedBy: string | null;
}

export type ConfirmationState = 'none' | 'confirmed' | 'pending' | 'lapsed';

/** Where a major incident's second-person confirmation stands at `nowMs`. */
export function confirmationState(c: ConfirmationFacts, nowMs: number): ConfirmationState {
  if (c.confirmBy === null) return 'none';
  if (c.confirmedAt !== null) return 'confirmed';
  return Date.parse(c.confirmBy) > nowMs ? 'pending' : 'lapsed';
}

/** The confirmation in words (R-ACC-4 with Art. 12): who confirmed and when, or until when it may come. */
export function ConfirmationStatus({ c, lang, nowMs }: { c: ConfirmationFacts; lang: Lang; nowMs: number }) {
  const t = emergencyStrings(lang);
  const state = confirmationState(c, nowMs);
  if (state === 'none') return <span className={styles.muted}>—</span>;
  const text =
    state === 'confirmed'
      ? t.confirmedBy(c.confirmedBy ?? '', formatTime(c.confirmedAt ?? '', lang))
      : state === 'pending'
        ? t.confirmPending(formatTime(c.confirmBy ?? '', lang))
        : t.confirmLapsed(formatTime(c.confirmBy ?? '', lang));
  return (
    <span
      data-testid="incident-confirmation"
      data-state={state}
      className={state === 'lapsed' ? styles.bad : state === 'pending' ? styles.notice : undefined}
    >
      {text}
    </span>
  );
}
