// A warning when the attention maps are too coarse to show where the network looks: the ResNets'
// last feature map is the input divided by 32 (rounded up), so at 32 px each class map is a
// single cell. Pure.

/** The side of the attention map of a square input of `size` pixels (ResNet-18/50: stride 32). */
export function mapSideFor(size: number): number {
  return Math.max(1, Math.ceil(size / 32));
}

/** A one-line warning for maps of at most 2×2 cells; null when they are fine. */
export function coarseMapsWarning(mapHeight: number, mapWidth: number): string | null {
  if (Math.max(mapHeight, mapWidth) > 2) return null;
  const what = mapHeight * mapWidth === 1 ? 'a single cell: one value per class, with no place in the image' : 'only a few cells';
  return `At this input size the attention maps are ${mapHeight}×${mapWidth}, ${what}. Train at 96 px or more to see where the network looks.`;
}
