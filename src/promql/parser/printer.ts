// Canonical PromQL text for an AST, as Prometheus's Expr.String() (promql/parser/printer.go).
import { formatDuration } from '../../model/duration.js';
import { goQuote } from '../../model/goquote.js';
import type { Matcher } from '../../model/matcher.js';
import type { AtModifier, BinaryExpr, DurationExpr, Expr, VectorSelector } from './ast.js';

const LEGACY_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const PARAM_AGGS = new Set(['topk', 'bottomk', 'count_values', 'quantile', 'limitk', 'limit_ratio']);

export function formatExpr(e: Expr): string {
  switch (e.type) {
    case 'NumberLiteral':
      if (e.duration === true && Number.isFinite(e.value)) {
        const ms = Math.round(e.value * 1000);
        return ms < 0 ? `-${formatDuration(-ms)}` : formatDuration(ms);
      }
      return formatNumber(e.value);
    case 'StringLiteral':
      return goQuote(e.value);
    case 'ParenExpr':
      return `(${formatExpr(e.expr)})`;
    case 'UnaryExpr':
      return e.op + formatExpr(e.expr);
    case 'Call':
      return `${e.func}(${e.args.map(formatExpr).join(', ')})`;
    case 'AggregateExpr': {
      let s: string = e.op;
      if (e.without) s += ` without (${formatLabels(e.grouping)}) `;
      else if (e.grouping.length > 0) s += ` by (${formatLabels(e.grouping)}) `;
      s += '(';
      if (PARAM_AGGS.has(e.op) && e.param !== undefined) s += `${formatExpr(e.param)}, `;
      return `${s}${e.expr === undefined ? '' : formatExpr(e.expr)})`;
    }
    case 'BinaryExpr': {
      // Iterative along the left spine: `a + b + c + ...` may be thousands deep.
      const spine: BinaryExpr[] = [e];
      while (spine[spine.length - 1].lhs.type === 'BinaryExpr')
        spine.push(spine[spine.length - 1].lhs as BinaryExpr);
      let s = formatExpr(spine[spine.length - 1].lhs);
      for (let k = spine.length - 1; k >= 0; k--) {
        const b = spine[k];
        s += ` ${b.op}${b.returnBool ? ' bool' : ''}${matchingString(b)} ${formatExpr(b.rhs)}`;
      }
      return s;
    }
    case 'VectorSelector':
      return (
        formatSelector(e) +
        (e.rangeModifier !== undefined ? ` ${e.rangeModifier}` : '') +
        atString(e.at) +
        offsetString(e.offset, e.offsetExpr)
      );
    case 'MatrixSelector': {
      const vs = e.vectorSelector;
      const rng = e.rangeExpr !== undefined ? formatExpr(e.rangeExpr) : formatDuration(e.range);
      const mod = e.rangeModifier !== undefined ? ` ${e.rangeModifier}` : '';
      return `${formatSelector(vs)}[${rng}]${mod}${atString(vs.at)}${offsetString(vs.offset, vs.offsetExpr)}`;
    }
    case 'SubqueryExpr': {
      const rng = e.rangeExpr !== undefined ? formatExpr(e.rangeExpr) : formatDuration(e.range);
      let step = '';
      if (e.step !== 0) step = formatDuration(e.step);
      else if (e.stepExpr !== undefined) step = formatExpr(e.stepExpr);
      return `${formatExpr(e.expr)}[${rng}:${step}]${atString(e.at)}${offsetString(e.offset, e.offsetExpr)}`;
    }
    case 'DurationExpr':
      return formatDurationExpr(e, true);
  }
}

function formatDurationExpr(e: DurationExpr, top: boolean): string {
  const sub = (x: Expr | undefined): string =>
    x === undefined ? '' : x.type === 'DurationExpr' ? formatDurationExpr(x, false) : formatExpr(x);
  switch (e.op) {
    case 'literal':
      return formatDuration(e.value ?? 0);
    case 'step':
      return 'step()';
    case 'range':
      return 'range()';
    case 'min':
    case 'max':
    case 'min_of':
    case 'max_of':
      return `${e.op}(${sub(e.lhs)}, ${sub(e.rhs)})`;
    case 'neg':
      return `-${sub(e.lhs)}`;
    default: {
      const s = `${sub(e.lhs)} ${e.op} ${sub(e.rhs)}`;
      return top ? s : `(${s})`;
    }
  }
}

function matchingString(e: BinaryExpr): string {
  const vm = e.matching;
  if (vm === undefined) return '';
  let s = '';
  const grouped = vm.card === 'many-to-one' || vm.card === 'one-to-many';
  if (vm.matchingLabels.length > 0 || vm.on || grouped) {
    s += ` ${vm.on ? 'on' : 'ignoring'} (${formatLabels(vm.matchingLabels)})`;
  }
  if (grouped) s += ` group_${vm.card === 'many-to-one' ? 'left' : 'right'} (${formatLabels(vm.include)})`;
  const f = vm.fill;
  if (f !== undefined && (f.lhs !== undefined || f.rhs !== undefined)) {
    if (f.lhs === f.rhs) s += ` fill (${goFloatV(f.lhs as number)})`;
    else {
      if (f.lhs !== undefined) s += ` fill_left (${goFloatV(f.lhs)})`;
      if (f.rhs !== undefined) s += ` fill_right (${goFloatV(f.rhs)})`;
    }
  }
  return s;
}

function formatLabels(labels: readonly string[]): string {
  return labels.map((l) => (LEGACY_LABEL.test(l) ? l : goQuote(l))).join(', ');
}

/** Prometheus's labels.Matcher.String(). */
export function formatMatcher(m: Matcher): string {
  const name = LEGACY_LABEL.test(m.name) ? m.name : goQuote(m.name);
  return `${name}${m.type}${goQuote(m.value)}`;
}

function formatSelector(vs: VectorSelector): string {
  const parts: string[] = [];
  const name = vs.name ?? '';
  for (const m of vs.matchers) {
    if (m.name === '__name__' && m.type === '=' && m.value === name && m.value !== '') continue;
    parts.push(formatMatcher(m));
  }
  parts.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return parts.length > 0 ? `${name}{${parts.join(',')}}` : name;
}

function atString(at: AtModifier | undefined): string {
  if (at === undefined) return '';
  if (at.kind === 'start') return ' @ start()';
  if (at.kind === 'end') return ' @ end()';
  return ` @ ${(at.ms / 1000).toFixed(3)}`;
}

function offsetString(offset: number, expr: Expr | undefined): string {
  if (expr !== undefined) {
    // An offset takes one primary: arithmetic must stay parenthesised to keep binding to the offset.
    const atomic = expr.type !== 'DurationExpr' || !'+-*/%^'.includes(expr.op);
    return ` offset ${atomic ? formatExpr(expr) : `(${formatExpr(expr)})`}`;
  }
  if (offset > 0) return ` offset ${formatDuration(offset)}`;
  if (offset < 0) return ` offset -${formatDuration(-offset)}`;
  return '';
}

/** strconv.FormatFloat(v, 'f', -1, 64). */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  const s = String(v);
  if (!s.includes('e')) return s;
  // Expand exponent notation without losing the shortest round-trip digits.
  const [mant, expStr] = s.split('e');
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const intLen = mant.replace('-', '').split('.')[0].length + exp;
  let out: string;
  if (intLen <= 0) out = `0.${'0'.repeat(-intLen)}${digits}`;
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length);
  else out = `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  return neg ? `-${out}` : out;
}

/** Go's %v for a float64. */
function goFloatV(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(v);
}
