// A canvas that draws an RGB image (optional), a colour-mapped map on top of it (upsampled
// bilinearly, as CAM figures are) and an erased box's outline: the picture unit of the classroom.
import { useEffect, useRef } from 'react';
import type { Box } from '../../engine/augment.ts';
import { rgbToRgba } from '../attention/colormap.ts';

export interface Overlay {
  rgba: Uint8ClampedArray;
  height: number;
  width: number;
}

export function ImageCanvas({
  rgb,
  size,
  box,
  overlay,
  display,
  caption,
  testId,
}: {
  rgb: Uint8Array | null;
  /** Side of the square image in pixels. */
  size: number;
  box?: Box | null;
  overlay?: Overlay | null;
  /** Side on screen (CSS pixels). */
  display: number;
  caption?: string;
  testId?: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    const px = canvas.width;
    ctx.clearRect(0, 0, px, px);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    if (rgb) {
      const img = new OffscreenCanvas(size, size);
      img.getContext('2d')!.putImageData(new ImageData(rgbToRgba(rgb), size, size), 0, 0);
      ctx.drawImage(img, 0, 0, px, px);
    } else {
      ctx.fillStyle = '#f3f4f6';
      ctx.fillRect(0, 0, px, px);
    }
    if (overlay) {
      const m = new OffscreenCanvas(overlay.width, overlay.height);
      m.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(overlay.rgba), overlay.width, overlay.height), 0, 0);
      ctx.drawImage(m, 0, 0, px, px);
    }
    if (box) {
      const s = px / size;
      ctx.strokeStyle = '#f43f5e';
      ctx.lineWidth = Math.max(2, px / 80);
      ctx.setLineDash([px / 30, px / 50]);
      ctx.strokeRect(box.left * s, box.top * s, box.w * s, box.h * s);
    }
  }, [rgb, size, box, overlay]);
  // Twice the CSS size, so the picture stays sharp on high-density screens and projectors.
  const px = Math.round(display * 2);
  return (
    <figure className="cr-figure">
      <canvas ref={ref} width={px} height={px} style={{ width: display, height: display }} data-testid={testId} aria-label={caption} />
      {caption ? <figcaption>{caption}</figcaption> : null}
    </figure>
  );
}
