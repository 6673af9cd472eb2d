import { z } from 'zod';

// The pages run under a Content-Security-Policy without 'unsafe-eval' (proxy.ts). zod compiles
// object parsers with `new Function` when it may, and probes for it on first use — a probe the
// browser reports as a policy violation. Its interpreter is used instead, set before any app code.
z.config({ jitless: true });
