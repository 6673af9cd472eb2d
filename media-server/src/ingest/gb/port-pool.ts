import { AppError } from '../../lib/app-error.ts';

/**
 * The GB media ports of this node (MEDIA_GB_PORT_MIN…MAX). Ports are handed out round robin, so a
 * port just closed is not reused at once (a device still sending to it would feed the next
 * stream); a port another process holds is skipped.
 */
export class PortPool {
  readonly #min: number;
  readonly #max: number;
  readonly #used = new Set<number>();
  #next: number;

  constructor(min: number, max: number) {
    if (!(min >= 1 && max <= 65535 && min <= max)) throw new RangeError(`bad port range ${min}-${max}`);
    this.#min = min;
    this.#max = max;
    this.#next = min;
  }

  get inUse(): number {
    return this.#used.size;
  }

  /**
   * Binds on the next free port: `bind` is tried port after port until one succeeds; an error other
   * than the port being taken ends the search.
   */
  async acquire<T>(bind: (port: number) => Promise<T>): Promise<{ port: number; value: T }> {
    const size = this.#max - this.#min + 1;
    for (let tried = 0; tried < size; tried++) {
      const port = this.#next;
      this.#next = port === this.#max ? this.#min : port + 1;
      if (this.#used.has(port)) continue;
      this.#used.add(port);
      try {
        return { port, value: await bind(port) };
      } catch (err) {
        this.#used.delete(port);
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
      }
    }
    throw new AppError('unavailable:dependency', 'no free GB/T 28181 media port on this node');
  }

  release(port: number): void {
    this.#used.delete(port);
  }
}
