import { LRUCache } from 'lru-cache';

/**
 * The states of one model's open sessions, by sequence id. A session ends when a request flags
 * `sequence_end`; it expires after `idleMs` without a request; and when `max` sessions are open a
 * new one evicts the least recently used. Expired and evicted sessions are reported by reason.
 */

export type EvictionReason = 'idle' | 'lru';

export interface SessionStoreOptions {
  max: number;
  idleMs: number;
  onEvict?: (reason: EvictionReason) => void;
}

export class SessionStore<S extends object> {
  private readonly cache: LRUCache<string, S>;
  private readonly sweeper: NodeJS.Timeout;

  constructor(options: SessionStoreOptions) {
    this.cache = new LRUCache<string, S>({
      max: options.max,
      ttl: options.idleMs,
      updateAgeOnGet: true,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') options.onEvict?.('lru');
        else if (reason === 'expire') options.onEvict?.('idle');
      },
    });
    // Expired sessions leave the count (and free their state) without waiting for a lookup.
    this.sweeper = setInterval(() => this.cache.purgeStale(), Math.min(options.idleMs, 1000));
    this.sweeper.unref();
  }

  /** Open sessions. */
  get size(): number {
    this.cache.purgeStale();
    return this.cache.size;
  }

  /** The state of an open session (and marks it used), or undefined. */
  get(id: string): S | undefined {
    return this.cache.get(id);
  }

  set(id: string, state: S): void {
    this.cache.set(id, state);
  }

  delete(id: string): void {
    this.cache.delete(id);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.cache.clear();
  }
}
