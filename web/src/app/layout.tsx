import type { Metadata } from 'next';
import { connection } from 'next/server';
import type { ReactNode } from 'react';
import './globals.css';

export const metadata: Metadata = {
  title: '应急指挥视频墙 · Emergency Command Video Wall',
  robots: { index: false, follow: false },
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page renders per request, so that Next puts this response's CSP nonce (proxy.ts) on its
  // scripts — the not-found page too, which would otherwise be prerendered without one.
  await connection();
  return (
    <html lang="zh-CN">
      <body>{children}</body>
    </html>
  );
}
