// Every supported type form, with a type used before it is declared.

/** A person, stored nowhere: only for the models and the JSON Schema. */
export interface Person extends Named {
  /** Declared later in the file. */
  mood: Mood;
  /** Optional, may be absent. */
  nickname?: string;
  /** Nullable, must be present. */
  middle_name: string | null;
  /** Optional through `| undefined`. */
  title: string | undefined;
  /** Both optional and nullable. */
  note?: string | null;
  /** Plain array. */
  tags: string[];
  /** Generic array. */
  scores: Array<number>;
  /** Readonly array. */
  flags: readonly boolean[];
  /** Readonly generic array. */
  moods: ReadonlyArray<Mood>;
  /** String-keyed map. */
  extra: Record<string, number>;
  /** An inline object, hoisted to a model named after the field. */
  address: { street: string; zip?: string };
  /** A Date becomes a date-time. */
  born: Date;
  /** An inline literal union. */
  size: 'S' | 'M' | 'L';
  /** A string enum. */
  color: Color;
  /** Single-line tags. @minimum 0 @maximum 130 */
  age: number;
  /**
   * Multi-line tags.
   * @minLength 2
   * @maxLength 40
   * @pattern ^[a-z]+$
   */
  handle: string;
}

/** Something with a name. */
interface Named {
  /** The name. */
  name: string;
}

/** How a person feels. */
export type Mood = 'calm' | 'restless';

/** A colour. */
export enum Color {
  Red = 'red',
  Blue = "blue",
}
