/** Broken. */
export interface Broken {
  /** x */
  a: string
  b: ;
}
