// convert_classic_histograms_to_nhcb: a parser wrapper that turns each classic histogram of a body
// (the `_bucket`, `_count`, `_sum` series of a family typed `histogram`, consecutive and with equal
// labels but `le`) into one native histogram with custom buckets, as Prometheus's NHCBParser does. The
// histogram comes out as an Entry.Histogram right after its last classic series (when the next entry
// belongs to something else); the classic series themselves are dropped unless `keepClassic`
// (always_scrape_classic_histograms). A native histogram with the same labels (protobuf) inhibits
// the conversion of the classic series that follow it. A classic histogram that does not convert
// (not cumulative, count mismatch, invalid) is left out without failing the scrape, as Prometheus.
import type { FloatHistogram, Histogram } from '../histogram.js';
import { validateHistogram } from '../histogram.js';
import { METRIC_NAME, type Labels } from '../labels.js';
import { ClassicHistogramBuilder, classicHistogramSuffix, nhcbLabels } from '../nhcb.js';
import { FLOAT_OK, floatStatus, parseGoFloat } from './parser-common.js';
import { Entry, type EntryKind, type Exemplar, type ExpositionParser, type MetricType } from './types.js';

const enum State {
  Start,
  Collecting,
  /** The collected histogram is being handed out; the inner parser still holds the entry after it. */
  Emitting,
  /** A native histogram was seen: classic series with its labels are not converted. */
  Inhibiting,
}

export class NhcbParser implements ExpositionParser {
  private state = State.Start;
  private collectST: number | undefined;
  private outST: number | undefined;
  /** The inner parser's current entry (held while the histogram before it is handed out). */
  private entry: EntryKind = Entry.EOF;
  private typeFamily = '';
  private type: MetricType = 'unknown';
  /** Identity of the histogram being collected (or the native one inhibiting): base name and labels without `le`. */
  private lastName = '';
  private lastKey = '';
  private builder = new ClassicHistogramBuilder();
  private collectLabels: Labels | undefined;
  private collectTs: number | undefined;
  // the histogram handed out
  private outText = '';
  private outLabels: Labels | undefined;
  private outTs: number | undefined;
  private out: { h?: Histogram; fh?: FloatHistogram } = {};
  /** Labels of the inner parser's current series, parsed at most once per entry. */
  private curLabels: Labels | undefined;

  constructor(
    private readonly inner: ExpositionParser,
    private readonly keepClassic: boolean,
  ) {}

  next(): EntryKind {
    for (;;) {
      if (this.state === State.Emitting) {
        this.state = State.Start;
        if (this.entry === Entry.Series && this.handleClassic() && !this.keepClassic) continue;
        return this.entry;
      }
      this.curLabels = undefined;
      this.entry = this.inner.next();
      switch (this.entry) {
        case Entry.EOF:
          return this.flush() ? Entry.Histogram : Entry.EOF;
        case Entry.Series: {
          let converted = false;
          if (this.state === State.Collecting) {
            if (this.differentHistogram() && this.flush()) return Entry.Histogram;
            converted = this.handleClassic();
          } else if (this.state === State.Inhibiting) {
            if (this.differentHistogram()) {
              this.state = State.Start;
              converted = this.handleClassic();
            }
          } else converted = this.handleClassic();
          if (converted && !this.keepClassic) continue;
          return this.entry;
        }
        case Entry.Histogram: {
          // a pending classic histogram is given up, as Prometheus's parser does
          this.state = State.Inhibiting;
          const l = this.currentLabels();
          this.lastName = l.get(METRIC_NAME) ?? '';
          this.lastKey = l.toString();
          return this.entry;
        }
        case Entry.Type:
          this.typeFamily = this.inner.family();
          this.type = this.inner.metricType();
          break;
      }
      return this.flush() ? Entry.Histogram : this.entry;
    }
  }

  /** The current series is another histogram (or no histogram) than the one collected or inhibiting. */
  private differentHistogram(): boolean {
    if (this.type !== 'histogram') return true;
    const l = this.currentLabels();
    const c = classicHistogramSuffix(l.get(METRIC_NAME) ?? '');
    const base = c?.base ?? l.get(METRIC_NAME) ?? '';
    if (base !== this.lastName) return true;
    return nhcbLabels(l, base).toString() !== this.lastKey;
  }

  /** Feeds the current series to the histogram being collected; false when it is not part of one. */
  private handleClassic(): boolean {
    if (this.type !== 'histogram') return false;
    const l = this.currentLabels();
    const c = classicHistogramSuffix(l.get(METRIC_NAME) ?? '');
    if (c === undefined || c.base !== this.typeFamily) return false;
    let le = 0;
    if (c.suffix === 'bucket') {
      const text = l.get('le');
      if (text === undefined) return false;
      le = parseGoFloat(text, 0, text.length);
      if (floatStatus.err !== FLOAT_OK || Number.isNaN(le)) return false;
    }
    if (this.state !== State.Collecting) {
      const labels = nhcbLabels(l, c.base);
      this.lastName = c.base;
      this.lastKey = labels.toString();
      this.collectLabels = labels;
      this.collectTs = this.inner.timestamp();
      this.collectST = this.inner.startTimestamp?.();
      this.builder = new ClassicHistogramBuilder();
      this.state = State.Collecting;
    }
    const v = this.inner.value();
    if (c.suffix === 'bucket') this.builder.setBucketCount(le, v);
    else if (c.suffix === 'count') this.builder.setCount(v);
    else this.builder.setSum(v);
    return true;
  }

  /** Ends the collected histogram: true when it converted and is to be handed out now. */
  private flush(): boolean {
    if (this.state !== State.Collecting) return false;
    const r = this.builder.convert();
    if ('error' in r || validateHistogram(r.h, true) !== undefined) {
      this.state = State.Start;
      return false;
    }
    this.out = r.integer ? { h: toIntegerHistogram(r.h) } : { fh: r.h };
    this.outLabels = this.collectLabels;
    this.outText = this.lastKey;
    this.outTs = this.collectTs;
    this.outST = this.collectST;
    this.state = State.Emitting;
    return true;
  }

  private currentLabels(): Labels {
    return (this.curLabels ??= this.inner.labels());
  }

  expectSeries(text: string | undefined): void {
    this.inner.expectSeries(text);
  }

  seriesText(): string {
    return this.state === State.Emitting ? this.outText : this.inner.seriesText();
  }

  value(): number {
    return this.inner.value();
  }

  timestamp(): number | undefined {
    return this.state === State.Emitting ? this.outTs : this.inner.timestamp();
  }

  /** The inner parser's start timestamp; a converted histogram has its first series'. */
  startTimestamp(): number | undefined {
    return this.state === State.Emitting ? this.outST : this.inner.startTimestamp?.();
  }

  labels(): Labels {
    return this.state === State.Emitting ? this.outLabels! : this.currentLabels();
  }

  repeatedLabelName(): string | undefined {
    return this.state === State.Emitting ? undefined : this.inner.repeatedLabelName();
  }

  exemplar(): Exemplar | undefined {
    return this.state === State.Emitting ? undefined : this.inner.exemplar();
  }

  histogram(): { h?: Histogram; fh?: FloatHistogram } {
    if (this.state === State.Emitting) return this.out;
    return this.inner.histogram?.() ?? {};
  }

  family(): string {
    return this.inner.family();
  }

  metricType(): MetricType {
    return this.inner.metricType();
  }

  help(): string {
    return this.inner.help();
  }

  unit(): string {
    return this.inner.unit();
  }

  metadataText(): string | undefined {
    return this.inner.metadataText?.();
  }
}

/** A float histogram whose counts are whole numbers as an integer histogram (buckets as deltas). */
function toIntegerHistogram(fh: FloatHistogram): Histogram {
  const deltas = (b: readonly number[]): number[] => b.map((v, i) => (i === 0 ? v : v - b[i - 1]));
  return {
    ...fh,
    positiveBuckets: deltas(fh.positiveBuckets),
    negativeBuckets: deltas(fh.negativeBuckets),
  };
}
