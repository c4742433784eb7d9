/**
 * A short, safe description of any value for an error message: strings quoted, numbers, bigints,
 * booleans and `undefined` shown, `null`, arrays and other objects by kind. Never calls the
 * value's own `toString` (hostile input may have none, or one that throws).
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'bigint':
      return `${String(value)}n`;
    case 'object':
      return value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object';
    default:
      return `a ${typeof value}`;
  }
}
