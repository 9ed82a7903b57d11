// Go's fmt verbs, as the template functions `printf`, `print` and the humanize family need them:
// %v %s %q %d %b %o %x %X %c %e %E %f %F %g %G %t %%, with flags (+ - # 0 space), width and precision.
// Go distinguishes integers from floats, and so do templates: integers are bigints here, floats numbers.
import { formatGoFloat } from '../model/exposition/writer.js';
import { goQuote } from '../model/goquote.js';

/** A template value's Go-style text for %v and print. */
export function goString(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return formatFloat(v, 'g', -1);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return '[' + v.map(goString).join(' ') + ']';
  if (v instanceof Map) {
    const keys = [...v.keys()].sort();
    return 'map[' + keys.map((k) => `${goString(k)}:${goString(v.get(k))}`).join(' ') + ']';
  }
  if (typeof v === 'object') {
    const s = (v as { toString?: () => string }).toString;
    if (s !== Object.prototype.toString && typeof s === 'function') return s.call(v);
    const entries = Object.entries(v as Record<string, unknown>);
    return '{' + entries.map(([, x]) => goString(x)).join(' ') + '}';
  }
  return String(v);
}

/** strconv.FormatFloat(v, fmt, prec, 64) for 'e', 'f' and 'g'; prec -1 is the shortest exact form. */
export function formatFloat(v: number, fmt: 'e' | 'f' | 'g', prec: number): string {
  if (v !== v) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (prec < 0) return formatGoFloat(v, fmt);
  const neg = v < 0 || Object.is(v, -0);
  const a = Math.abs(v);
  let body: string;
  if (fmt === 'f') body = fixed(a, prec);
  else if (fmt === 'e') body = expo(a, prec);
  else {
    // %g with precision p: %e when the exponent is < -4 or >= p, trailing zeros removed
    const p = prec === 0 ? 1 : prec;
    if (a === 0) body = '0';
    else {
      const e = a.toExponential(p - 1);
      const exp = Number(e.slice(e.indexOf('e') + 1));
      if (exp < -4 || exp >= p) {
        const [m, x] = e.split('e');
        body = trimZeros(m) + 'e' + (x.startsWith('-') ? '-' : '+') + x.replace(/^[+-]/, '').padStart(2, '0');
      } else body = trimZeros(a.toFixed(Math.max(0, p - 1 - exp)));
    }
  }
  return neg ? '-' + body : body;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

function fixed(a: number, prec: number): string {
  if (prec <= 100 && a < 1e21) return a.toFixed(prec);
  // toFixed gives up above 1e21: spell the integer part out
  const int = BigInt(Math.trunc(a)).toString();
  return prec > 0 ? int + '.' + '0'.repeat(prec) : int;
}

function expo(a: number, prec: number): string {
  const e = a.toExponential(Math.min(prec, 100));
  const [m, x] = e.split('e');
  return m + 'e' + (x.startsWith('-') ? '-' : '+') + x.replace(/^[+-]/, '').padStart(2, '0');
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  width: number;
  prec: number;
}

/** No flags, no width, no precision: %v as Print uses it. */
function plainSpec(): Spec {
  return { minus: false, plus: false, sharp: false, zero: false, space: false, width: 0, prec: -1 };
}

function pad(s: string, f: Spec, numeric: boolean): string {
  if (f.width <= s.length) return s;
  if (f.minus) return s.padEnd(f.width);
  if (f.zero && numeric) {
    const sign = /^[+\- ]/.test(s) ? s[0] : '';
    return sign + s.slice(sign.length).padStart(f.width - sign.length, '0');
  }
  return s.padStart(f.width);
}

function signed(s: string, f: Spec): string {
  if (s.startsWith('-')) return s;
  if (f.plus) return '+' + s;
  if (f.space) return ' ' + s;
  return s;
}

function badVerb(verb: string, arg: unknown): string {
  return `%!${verb}(${goTypeName(arg)}=${goString(arg)})`;
}

export function goTypeName(v: unknown): string {
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (v === undefined || v === null) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (v instanceof Map) return 'map[string]string';
  if (v instanceof Date) return 'time.Time';
  return (v as { goType?: string }).goType ?? 'struct';
}

function formatOne(verb: string, arg: unknown, f: Spec): string {
  switch (verb) {
    case 'v':
      if (typeof arg === 'bigint' || typeof arg === 'number')
        return formatOne(typeof arg === 'bigint' ? 'd' : 'g', arg, f);
      if (f.sharp && typeof arg === 'string') return pad(goQuote(arg), f, false);
      return pad(goString(arg), f, false);
    case 's':
      if (typeof arg === 'string' || typeof arg === 'object' || typeof arg === 'boolean') {
        let s = goString(arg);
        if (f.prec >= 0) s = [...s].slice(0, f.prec).join('');
        return pad(s, f, false);
      }
      return badVerb(verb, arg);
    case 'q':
      if (typeof arg === 'string')
        return pad(f.sharp && !arg.includes('`') ? '`' + arg + '`' : goQuote(arg), f, false);
      if (typeof arg === 'bigint')
        return pad(goQuote(String.fromCodePoint(Number(arg))).replace(/^"|"$/g, "'"), f, false);
      return badVerb(verb, arg);
    case 't':
      return typeof arg === 'boolean' ? pad(String(arg), f, false) : badVerb(verb, arg);
    case 'c':
      return typeof arg === 'bigint' ? pad(String.fromCodePoint(Number(arg)), f, false) : badVerb(verb, arg);
    case 'd':
    case 'b':
    case 'o':
    case 'x':
    case 'X': {
      if (typeof arg === 'string' && (verb === 'x' || verb === 'X')) {
        const hex = Buffer.from(arg, 'utf8').toString('hex');
        return pad(verb === 'X' ? hex.toUpperCase() : hex, f, false);
      }
      if (typeof arg === 'number' && (verb === 'x' || verb === 'X' || verb === 'b'))
        return badVerb(verb, arg);
      if (typeof arg !== 'bigint') return badVerb(verb, arg);
      const radix = { d: 10, b: 2, o: 8, x: 16, X: 16 }[verb];
      let s = (arg < 0n ? -arg : arg).toString(radix);
      if (verb === 'X') s = s.toUpperCase();
      if (f.prec >= 0) s = s.padStart(f.prec, '0');
      if (f.sharp) s = ({ b: '0b', o: '0', x: '0x', X: '0X', d: '' }[verb] ?? '') + s;
      return pad(signed(arg < 0n ? '-' + s : s, f), f, f.prec < 0);
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G': {
      if (typeof arg !== 'number' && typeof arg !== 'bigint') return badVerb(verb, arg);
      const v = Number(arg);
      const lower = verb.toLowerCase() as 'e' | 'f' | 'g';
      const prec = f.prec >= 0 ? f.prec : lower === 'g' ? -1 : 6;
      let s = formatFloat(v, lower, prec);
      if (verb === 'E' || verb === 'G') s = s.toUpperCase();
      if (s === 'NaN' || s.endsWith('Inf'))
        return pad(signed(s === 'NaN' && (f.plus || f.space) ? '+NaN' : s, f), { ...f, zero: false }, false);
      return pad(signed(s, f), f, true);
    }
    default:
      return `%!${verb}(${goTypeName(arg)}=${goString(arg)})`;
  }
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    i++;
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const f = plainSpec();
    for (; i < format.length; i++) {
      const fl = format[i];
      if (fl === '-') f.minus = true;
      else if (fl === '+') f.plus = true;
      else if (fl === '#') f.sharp = true;
      else if (fl === '0') f.zero = !f.minus;
      else if (fl === ' ') f.space = true;
      else break;
    }
    const num = (): number => {
      let n = 0;
      if (format[i] === '*') {
        i++;
        const a = args[argi++];
        return typeof a === 'bigint' ? Number(a) : 0;
      }
      while (i < format.length && format[i] >= '0' && format[i] <= '9') n = n * 10 + Number(format[i++]);
      return n;
    };
    f.width = num();
    if (format[i] === '.') {
      i++;
      f.prec = num();
    }
    const verb = format[i++];
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(verb, args[argi++], f);
  }
  if (argi < args.length) {
    out +=
      '%!(EXTRA ' +
      args
        .slice(argi)
        .map((a) => `${goTypeName(a)}=${goString(a)}`)
        .join(', ') +
      ')';
  }
  return out;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatOne('v', a, plainSpec());
  });
  return out;
}

/** fmt.Sprintln: spaces between all operands, a newline at the end. */
export function sprintln(args: readonly unknown[]): string {
  return args.map((a) => goString(a)).join(' ') + '\n';
}
