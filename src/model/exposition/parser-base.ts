// State and accessors both exposition parsers share: the current series (offsets into the body,
// parsed lazily), its value and timestamp, the scrape-cache hint, and metadata text. The lexing and
// grammar of each format stay in its own class.
import type { Labels } from '../labels.js';
import { buildLabels, repeatedLabelName } from './parser-labels.js';
import { SpecialChars, unescapeLabel } from './parser-common.js';
import type { EntryKind, Exemplar, MetricType } from './types.js';

export abstract class SeriesParserBase {
  protected readonly b: string;
  protected readonly n: number;
  /** Lexer cursor, start of the current token, lexer state. */
  protected i = 0;
  protected ts = 0;
  protected st = 0;
  /** Start of the current entry (Prometheus's p.start): where "while parsing" excerpts begin. */
  protected start = 0;
  protected done = false;

  // Current series: [nameStart, nameEnd) and per label [nStart, nEnd, vStart, vEnd).
  protected nameStart = -1;
  protected nameEnd = -1;
  protected nameQuoted = false;
  /** @internal label offsets of the current series (LabelOffsets), shared with scanPlainLabelSet */
  offs: Int32Array = new Int32Array(64);
  /** @internal */
  nOffs = 0;
  protected seriesStart = 0;
  protected seriesEnd = 0;
  protected val = 0;
  protected tsVal = 0;
  protected hasTs = false;
  protected cachedLabels: Labels | undefined = undefined;
  /** The scrape cache's hint for the next series, and whether the current series matched it. */
  protected expected: string | undefined = undefined;
  protected matched = false;
  // Fast-path state: end of the current line, special-character cursors.
  protected lineEnd = -1;
  protected readonly special: SpecialChars;

  // Metadata.
  protected mtype: MetricType = 'unknown';
  protected textStart = 0;
  protected textEnd = 0;

  constructor(body: string) {
    this.b = body;
    this.n = body.length;
    this.special = new SpecialChars(body);
  }

  abstract next(): EntryKind;
  abstract exemplar(): Exemplar | undefined;
  abstract help(): string;
  abstract unit(): string;
  /** A parser over one series line of this format, for labels of a series the hint skipped. */
  protected abstract standalone(seriesText: string): SeriesParserBase;

  expectSeries(text: string | undefined): void {
    this.expected = text;
  }

  seriesText(): string {
    if (this.matched) return this.expected!;
    // For `{"name", ...}` the series starts at the brace; for `name{...}` at the name.
    return this.b.slice(this.seriesStart, this.seriesEnd);
  }

  value(): number {
    return this.val;
  }

  timestamp(): number | undefined {
    return this.hasTs ? this.tsVal : undefined;
  }

  labels(): Labels {
    if (this.cachedLabels === undefined && this.matched) {
      // The hint skipped the label scan: read the series on its own, under the same TYPE (le and
      // quantile values are normalised by type).
      const sub = this.standalone(this.expected!);
      sub.mtype = this.mtype;
      sub.next();
      this.cachedLabels = sub.labels();
    }
    if (this.cachedLabels === undefined) {
      this.cachedLabels = buildLabels(
        this.b,
        this.nameStart,
        this.nameEnd,
        this.nameQuoted,
        this.offs,
        this.nOffs,
        this.mtype,
      );
    }
    return this.cachedLabels;
  }

  repeatedLabelName(): string | undefined {
    if (this.matched) {
      const sub = this.standalone(this.expected!);
      sub.next();
      return sub.repeatedLabelName();
    }
    return repeatedLabelName(this.b, this.offs, this.nOffs);
  }

  family(): string {
    // Quoted family names use label-value escaping.
    return this.nameQuoted
      ? unescapeLabel(this.b, this.nameStart, this.nameEnd)
      : this.b.slice(this.nameStart, this.nameEnd);
  }

  metricType(): MetricType {
    return this.mtype;
  }

  metadataText(): string {
    // every path through a metadata entry leaves the cursor after its line break
    return this.b.slice(this.start, this.i);
  }
}
