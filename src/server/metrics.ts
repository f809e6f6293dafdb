/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the
 * text exposition format (version 0.0.4). Written here rather than taken from prom-client to
 * keep the server's dependencies to what the brief names; it covers what /metrics exposes.
 */
export type Labels = Record<string, string>;

interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  render(): string[];
}

const escapeLabel = (v: string) =>
  v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"');
const labelKey = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabel(labels[k] as string)}"`)
    .join(',');
const fmt = (value: number) =>
  Number.isFinite(value) ? String(value) : value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN';
const series = (name: string, key: string, value: number) =>
  `${name}${key ? `{${key}}` : ''} ${fmt(value)}`;

export class Counter implements Metric {
  readonly type = 'counter';
  readonly #values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }
  render(): string[] {
    return [...this.#values].map(([key, value]) => series(this.name, key, value));
  }
}

/** A gauge whose value is read when scraped. */
export class Gauge implements Metric {
  readonly type = 'gauge';
  constructor(
    readonly name: string,
    readonly help: string,
    readonly collect: () => number | [Labels, number][],
  ) {}
  render(): string[] {
    const value = this.collect();
    if (typeof value === 'number') return [series(this.name, '', value)];
    return value.map(([labels, v]) => series(this.name, labelKey(labels), v));
  }
}

export class Histogram implements Metric {
  readonly type = 'histogram';
  readonly #series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}
  observe(value: number, labels: Labels = {}): void {
    const key = labelKey(labels);
    let entry = this.#series.get(key);
    if (!entry) {
      entry = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, entry);
    }
    this.buckets.forEach((le, i) => {
      if (value <= le) (entry.counts[i] as number)++;
    });
    entry.sum += value;
    entry.count++;
  }
  render(): string[] {
    const lines: string[] = [];
    for (const [key, { counts, sum, count }] of this.#series) {
      const withLe = (le: string) => (key ? `${key},le="${le}"` : `le="${le}"`);
      this.buckets.forEach((le, i) => {
        lines.push(series(`${this.name}_bucket`, withLe(String(le)), counts[i] as number));
      });
      lines.push(series(`${this.name}_bucket`, withLe('+Inf'), count));
      lines.push(series(`${this.name}_sum`, key, sum));
      lines.push(series(`${this.name}_count`, key, count));
    }
    return lines;
  }
}

export class Registry {
  readonly #metrics = new Map<string, Metric>();

  counter(name: string, help: string): Counter {
    return this.#add(new Counter(name, help));
  }
  gauge(name: string, help: string, collect: Gauge['collect']): Gauge {
    return this.#add(new Gauge(name, help, collect));
  }
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.#add(
      new Histogram(
        name,
        help,
        [...buckets].sort((a, b) => a - b),
      ),
    );
  }

  /** The exposition text served at /metrics (`text/plain; version=0.0.4`). */
  render(): string {
    const out: string[] = [];
    for (const metric of this.#metrics.values()) {
      out.push(`# HELP ${metric.name} ${metric.help.replaceAll('\n', ' ')}`);
      out.push(`# TYPE ${metric.name} ${metric.type}`);
      out.push(...metric.render());
    }
    return `${out.join('\n')}\n`;
  }

  #add<M extends Metric>(metric: M): M {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric.name)) {
      throw new Error(`invalid metric name ${metric.name}`);
    }
    if (this.#metrics.has(metric.name)) throw new Error(`metric ${metric.name} registered twice`);
    this.#metrics.set(metric.name, metric);
    return metric;
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
