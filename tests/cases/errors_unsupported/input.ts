/** Generic interfaces are out. */
export interface Box<T> {
  /** x */
  value: T;
}

/** Unsupported field types. */
export interface Things {
  /** A utility type. */
  partial: Partial<Other>;
  /** A name nobody declared. */
  ghost: Ghost;
  /** A conditional type. */
  cond: string extends number ? 'a' : 'b';
  /** A mapped type. */
  mapped: { [K in 'a' | 'b']: string };
  /** A union of unrelated types. */
  mixed: string | number;
  /** any */
  anything: any;
  /** A tuple. */
  pair: [string, number];
}

/** An alias of a non-literal. */
export type Num = number;

/** Other. */
export interface Other {
  /** x */
  x: string;
}

export function notAType(): void {}
