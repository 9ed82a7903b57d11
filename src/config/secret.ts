// A configuration secret (password, bearer token, client secret, ...). It never prints its value:
// Prometheus shows secrets as "<secret>" on /api/v1/status/config, and so does every accidental
// `${secret}` or JSON.stringify here. Read the real value through `.value`.

export const SECRET_PLACEHOLDER = '<secret>';

export class Secret {
  constructor(readonly value: string) {}

  get isEmpty(): boolean {
    return this.value === '';
  }

  toString(): string {
    return SECRET_PLACEHOLDER;
  }

  toJSON(): string {
    return SECRET_PLACEHOLDER;
  }

  /** Node's util.inspect (console.log) must not leak the value either. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${SECRET_PLACEHOLDER})`;
  }
}
