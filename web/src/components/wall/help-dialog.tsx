'use client';

import type { Lang } from '../../lib/i18n';
import { wallStrings } from './strings';
import styles from './wall.module.css';

/** The console's keyboard shortcuts ('?'). */
export function HelpDialog({ lang, onClose }: { lang: Lang; onClose: () => void }) {
  const t = wallStrings(lang);
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: Escape closes it (console shortcut handler)
    // biome-ignore lint/a11y/noStaticElementInteractions: the backdrop closes the dialog on click
    <div className={styles.backdrop} onClick={onClose}>
      <div
        className={styles.dialog}
        role="dialog"
        aria-modal="true"
        aria-label={t.helpTitle}
        data-testid="help-dialog"
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => e.stopPropagation()}
      >
        <h2>{t.helpTitle}</h2>
        <table>
          <tbody>
            {t.keys.map(([k, what]) => (
              <tr key={k}>
                <td>
                  <kbd>{k}</kbd>
                </td>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className={styles.dialogActions}>
          <button type="button" className={styles.primary} onClick={onClose}>
            {t.close}
          </button>
        </div>
      </div>
    </div>
  );
}
