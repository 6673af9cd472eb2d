import { z } from 'zod';

/**
 * Client text at the boundary. Control characters (C0, U+0000–U+001F, and DEL) have no place in
 * names, search terms, identifiers or URLs: PostgreSQL refuses NUL outright (a 500 if it gets that
 * far), and CR/LF in a header-bound value (RTSP credentials, log lines) is an injection. Every
 * schema that takes a string from a client builds it with {@link clientText}; a refusal carries the
 * `controlChar` issue parameter, which services answer as 400 `invalid:control_char`.
 */

export const CONTROL_CHAR_MESSAGE = 'control characters are not allowed';

/** True when `s` holds a C0 control character or DEL; `multiline` lets tab, LF and CR through. */
export function hasControlChar(s: string, multiline = false): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x7f) continue;
    if (multiline && (c === 0x09 || c === 0x0a || c === 0x0d)) continue;
    return true;
  }
  return false;
}

export interface ClientTextOptions {
  /** Trim surrounding white space first (the control-character check sees the trimmed text). */
  trim?: boolean;
  min?: number;
  max?: number;
  /** Free text (descriptions): tab, LF and CR are allowed, other control characters are not. */
  multiline?: boolean;
}

/** A string from a client without control characters (see the module comment). */
export function clientText(opts: ClientTextOptions = {}) {
  let s = z.string();
  if (opts.trim) s = s.trim();
  if (opts.min !== undefined) s = s.min(opts.min);
  if (opts.max !== undefined) s = s.max(opts.max);
  return s.refine((v) => !hasControlChar(v, opts.multiline), {
    message: CONTROL_CHAR_MESSAGE,
    params: { controlChar: true },
  });
}

type Issue = z.core.$ZodIssue;

function controlCharIssue(issue: Issue): boolean {
  if (issue.code === 'custom') return issue.params?.controlChar === true;
  if (issue.code === 'invalid_union') return issue.errors.some((branch) => branch.some(controlCharIssue));
  return false;
}

/**
 * The error code of a refused request: `invalid:control_char` when a string carried a control
 * character, `invalid:request` for every other problem.
 */
export function requestErrorCode(error: z.ZodError): 'invalid:control_char' | 'invalid:request' {
  return error.issues.some(controlCharIssue) ? 'invalid:control_char' : 'invalid:request';
}
