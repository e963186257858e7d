/** Literals and names that need quoting in SQL and Python. */
export type Tricky = "it's" | 'say "hi"' | 'back\\slash' | 'drop table x; --';

/**
 * A table whose names are keywords.
 * @table order
 */
export interface Order {
  /** A keyword column. @index */
  select: Tricky;
  /** Python keyword. */
  class?: string | null;
  /** BaseModel attribute. */
  model_config?: string | null;
  /** Another BaseModel attribute. */
  schema?: string | null;
  /** A default holding a quote. @default "O'Brien" */
  owner?: string;
}
