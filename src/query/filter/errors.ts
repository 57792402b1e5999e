/**
 * A filter the user typed wrong: where (0-based offset into the text, and how many characters to mark)
 * and what was expected. The CLI shows it with a caret under the offending text; the HTTP API returns the
 * position in its problem document.
 */
export class FilterError extends Error {
  readonly code = 'filter';
  /** The message without the "at N: " prefix. */
  readonly detail: string;
  constructor(
    readonly position: number,
    detail: string,
    /** Characters marked from position (at least 1; the end of input is marked by one caret). */
    readonly length = 1,
  ) {
    super(`at ${position}: ${detail}`);
    this.name = 'FilterError';
    this.detail = detail;
  }
}

/**
 * The input on one line with carets under the offending text, then the message:
 *
 *   port https
 *        ^^^^^
 *   at 5: expected a port number, got "https"
 */
export function formatFilterError(input: string, err: FilterError): string {
  // Tabs and line breaks would move the caret off its column: show them as spaces.
  const line = input.replace(/[\t\r\n\v\f]/g, ' ');
  const at = Math.max(0, Math.min(err.position, line.length));
  const width = Math.max(1, Math.min(err.length, line.length - at));
  return `${line}\n${' '.repeat(at)}${'^'.repeat(width)}\n${err.message}\n`;
}
