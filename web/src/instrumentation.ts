/**
 * Runs once when the Next.js server starts: an invalid configuration stops it at once (exit 1,
 * every bad key listed) instead of failing on the first request.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { checkWebConfig } = await import('./config-check');
  const problems = checkWebConfig(process.env);
  if (problems.length > 0) {
    process.stderr.write(`web: invalid configuration\n${problems.map((p) => `  - ${p}\n`).join('')}`);
    process.exit(1);
  }
}
