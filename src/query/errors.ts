/** A query the caller got wrong (a field the tier lacks, a value of the wrong kind): a 400, never a 500. */
export class QueryError extends Error {
  readonly code = 'query';
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}
