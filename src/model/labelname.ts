// Label name and value validity as Prometheus 3 checks them. Under the UTF-8 validation scheme any
// non-empty, well-formed UTF-8 string is a valid label name; under the legacy scheme only
// [a-zA-Z_][a-zA-Z0-9_]*. Strings decoded from invalid UTF-8 bytes carry lone surrogates (see
// config's YAML reader), so "well-formed UTF-16" here stands for "valid UTF-8" in Go.

export type NameValidationScheme = 'utf8' | 'legacy';

const LEGACY_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** True when `s` has no unpaired surrogate code units. */
export function isWellFormedText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

export function isValidLegacyLabelName(name: string): boolean {
  return LEGACY_LABEL_NAME.test(name);
}

export function isValidLabelName(name: string, scheme: NameValidationScheme = 'utf8'): boolean {
  if (scheme === 'legacy') return isValidLegacyLabelName(name);
  return name.length > 0 && isWellFormedText(name);
}

export function isValidLabelValue(value: string): boolean {
  return isWellFormedText(value);
}
