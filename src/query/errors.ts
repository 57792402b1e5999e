/** A query the caller got wrong (a field the tier lacks, a value of the wrong kind): a 400, never a 500. */
export class QueryError extends Error {
  readonly code = 'query';
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

/**
 * The engine cancelled the query at its time limit (PostgreSQL statement_timeout, ClickHouse
 * max_execution_time): the work stopped, nothing runs on in the background.
 */
export class QueryTimeoutError extends Error {
  readonly code = 'query_timeout';
  constructor(readonly timeoutMs: number) {
    super(`the query ran longer than ${timeoutMs} ms and was cancelled`);
    this.name = 'QueryTimeoutError';
  }
}
