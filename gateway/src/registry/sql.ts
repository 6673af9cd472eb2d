/** Collects positional parameters while a statement is put together; values never enter the text. */
export class Sql {
  readonly params: unknown[] = [];

  /** The placeholder of a new parameter. */
  p(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}

/** `WHERE a AND b …`, or nothing. */
export function where(conditions: readonly string[]): string {
  return conditions.length ? `WHERE ${conditions.map((c) => `(${c})`).join(' AND ')}` : '';
}

/** A LIKE pattern matching `text` anywhere, with LIKE's own characters escaped (ESCAPE '\'). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}
