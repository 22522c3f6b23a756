/**
 * Bounds the number of series a label (topic, group) may create. The first `max` keys seen keep their own
 * series for as long as they exist; later ones are summed under `__other__`. Keys that vanish (a deleted
 * topic) free their place for the next key seen. So a client creating topics in a loop cannot make a scrape, or
 * Prometheus, grow without bound, and the series that exist stay stable from scrape to scrape.
 */
export const OTHER = '__other__';

export class SeriesBound {
  private readonly admitted = new Set<string>();
  private refused = new Set<string>();
  /** Keys summed under `__other__` during the last complete scrape. */
  refusedLastScrape = 0;

  constructor(readonly max: number) {}

  /** Starts a scrape: `current` holds every key that exists now; the others give up their place. */
  begin(current: ReadonlySet<string>): void {
    for (const key of this.admitted) if (!current.has(key)) this.admitted.delete(key);
    this.refused = new Set();
  }

  /** Whether `key` keeps its own series (else it goes under `__other__`). */
  admit(key: string): boolean {
    if (this.admitted.has(key)) return true;
    if (this.admitted.size >= this.max) {
      this.refused.add(key);
      return false;
    }
    this.admitted.add(key);
    return true;
  }

  end(): void {
    this.refusedLastScrape = this.refused.size;
  }
}

/** Sums samples that share the same label values (the `__other__` ones). */
export class SampleSums {
  private readonly sums = new Map<string, { labels: Record<string, string | number>; value: number }>();

  add(labels: Record<string, string | number>, value: number): void {
    const key = Object.values(labels).join('\u0000');
    const entry = this.sums.get(key);
    if (entry) entry.value += value;
    else this.sums.set(key, { labels, value });
  }

  values(): { labels: Record<string, string | number>; value: number }[] {
    return [...this.sums.values()];
  }
}
