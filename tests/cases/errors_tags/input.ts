/**
 * Tags with bad values.
 * @table items
 * @index idx_nowhere missing_column
 */
export interface Item {
  /** @minimum abc */
  a: number;
  /** @default not-json */
  b?: string;
  /** @minimun 0 */
  c: number;
  /** @default "x" */
  d?: number;
  /** @minLength 3 */
  e: number;
  /** @onDelete explode */
  f: string;
  /** @sum weight 1 */
  g: string[];
  /** @default "purple" */
  h?: Shade;
  /** @defaultNow */
  i: string;
  /** @minimum 5 @maximum 1 */
  j: number;
}

/** A shade. */
export type Shade = 'dark' | 'light';
