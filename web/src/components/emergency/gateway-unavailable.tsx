import type { Lang } from '../../lib/i18n';
import styles from './emergency.module.css';
import { emergencyStrings, reasonWords } from './strings';

/** The whole page when the gateway cannot be reached: its title and the reason in words, with the code. */
export function GatewayUnavailablePage({
  title,
  code,
  lang,
  testId,
}: {
  title: string;
  code: string;
  lang: Lang;
  testId: string;
}) {
  return (
    <main className={styles.page}>
      <h1>{title}</h1>
      <p className={styles.bad} role="alert" data-testid={testId} data-code={code}>
        {emergencyStrings(lang).unavailable}: {reasonWords(lang, code)}
      </p>
    </main>
  );
}
