import { healthSchema } from '@wall/protocol';
import Link from 'next/link';
import { webConfig } from '../../config';
import { langOf, messages } from '../../lib/i18n';
import { LoginForm } from './login-form';

export const dynamic = 'force-dynamic';

async function gatewayUp(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { cache: 'no-store', signal: AbortSignal.timeout(2000) });
    const body = healthSchema.safeParse(await res.json());
    return res.ok && body.success && body.data.status === 'ok';
  } catch {
    return false;
  }
}

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const lang = langOf((await searchParams).lang);
  const t = messages(lang);
  const config = webConfig();
  const up = await gatewayUp(config.GATEWAY_URL);
  return (
    <main className="login">
      <div className="card">
        <h1>{t.title}</h1>
        <p className="sub">{t.subtitle}</p>
        <LoginForm gatewayUrl={config.GATEWAY_PUBLIC_URL} t={t} />
        <p className="notice">{t.notice}</p>
        <div className="status" data-testid="system-status">
          <span>
            {t.status}: {t.gateway} <span className={`dot ${up ? 'ok' : 'down'}`} />
            <span data-testid="gateway-status" data-state={up ? 'ok' : 'down'}>
              {up ? t.ok : t.down}
            </span>
          </span>
          <Link href={lang === 'zh' ? '/login?lang=en' : '/login'}>{t.switchLang}</Link>
        </div>
      </div>
    </main>
  );
}
