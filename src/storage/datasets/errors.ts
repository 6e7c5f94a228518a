// What the dataset cache refuses or cannot do, as classes (the training worker sorts failures by class).

export class DatasetCacheError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetCacheError';
  }
}

/** The browser would not store the dataset: the message says how much it needs and how much is free. */
export class DatasetCacheQuotaError extends DatasetCacheError {
  constructor(
    message: string,
    readonly neededBytes: number,
    readonly availableBytes: number | null,
  ) {
    super(message);
    this.name = 'DatasetCacheQuotaError';
  }
}
