/**
 * Field names that are Python keywords or Pydantic BaseModel attributes: each becomes a safe
 * Python name aliased to the TypeScript name, and both spellings validate.
 */

/** A closed vocabulary whose values are keywords too. */
export type Keyword = 'class' | 'from' | 'None';

/**
 * An event whose field names are hostile to Python.
 * @table events
 * @alias Happening
 */
export interface Event {
  /** A Python keyword. @minLength 1 */
  class: string;
  /** Another keyword, with bounds. @minimum 0 @maximum 1 @default 0.5 */
  from?: number;
  /** Pydantic's configuration attribute. */
  model_config?: string | null;
  /** A deprecated BaseModel method. @default "" */
  schema?: string;
  /** Another deprecated BaseModel method. @default [] */
  json?: string[];
  /** And another. */
  copy?: Keyword | null;
  /** And another, as a record. @default {} */
  dict?: Record<string, number>;
  /** Shadows nothing in Pydantic v2, but did in v1. @default [] */
  fields?: Keyword[];
  /** A keyword-named date with the current time as default. @defaultNow */
  import?: Date;
  /** The child rows. @default [] @foreignKey event_id @onDelete cascade @sum from 1 0.05 */
  global?: Part[];
}

/**
 * A part of an event.
 * @table parts
 */
export interface Part {
  /** A keyword-named number the parent sums. @minimum 0 @maximum 1 */
  from: number;
  /** When, maybe. */
  lambda: Date | null;
}
