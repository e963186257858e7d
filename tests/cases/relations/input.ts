/**
 * A shelf holding books.
 * @table shelves
 * @createdAt created_at
 * @updatedAt updated_at
 */
export interface Shelf {
  /** The shelf's label. @primaryKey @column label */
  name: string;
  /**
   * The books on it.
   * @default []
   * @foreignKey shelf_label
   * @onDelete cascade
   */
  books?: Book[];
}

/**
 * A book on a shelf.
 * @table books
 * @unique shelf_label, isbn
 * @index idx_books_shelf shelf_label
 */
export interface Book {
  /** ISBN. @minLength 10 @index */
  isbn: string;
  /** Whether it is lent out. @default false */
  lent?: boolean;
  /** Shares that sum to one. @default [] @foreignKey book_id @sum share 1 0.001 */
  owners?: Owner[];
}

/** An owner of a share of a book. @table owners */
export interface Owner {
  /** Who. */
  who: string;
  /** Their share. @minimum 0 @maximum 1 */
  share: number;
}
