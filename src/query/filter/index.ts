/** The filter language (issue 10): text -> query AST, positioned errors, the flow-query check. */
import type { Filter } from '../ast.js';
import { FilterError } from './errors.js';

export { FilterError, formatFilterError } from './errors.js';
export { parseFilter } from './parser.js';

/**
 * A filter for flow queries (top-N, flows): role and label terms belong to dependency queries, and are
 * refused here with their position, before anything is compiled.
 */
export function assertFlowFilter(f: Filter): void {
  switch (f.op) {
    case 'role':
      throw new FilterError(f.pos ?? 0, 'client/server applies to dependency queries only', f.role.length);
    case 'label':
      throw new FilterError(f.pos ?? 0, 'group/name applies to dependency queries only', f.label.length);
    case 'and':
    case 'or':
      for (const x of f.filters) assertFlowFilter(x);
      return;
    case 'not':
      assertFlowFilter(f.filter);
  }
}
