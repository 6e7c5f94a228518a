// The data report's line about images no label file names: a sentence, with (some of) the files.
// Pure.
import { countText } from '../../engine/format.ts';

export function unlabelledText(count: number, sample: readonly string[] = []): string {
  const one = count === 1;
  const head = `${countText(count)} image file${one ? '' : 's'} in Image/aligned/ ${one ? 'is' : 'are'} not named in any label file, so ${one ? 'it is' : 'they are'} ignored`;
  if (sample.length === 0) return `${head}.`;
  const shown = sample.slice(0, count);
  const more = count - shown.length;
  return `${head}: ${shown.join(', ')}${more > 0 ? ` and ${countText(more)} more` : ''}.`;
}
