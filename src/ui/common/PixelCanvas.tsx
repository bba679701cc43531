/** RGB pixels drawn into a canvas at their own resolution (CSS decides the displayed size). */
import { useLayoutEffect, useRef, type CSSProperties } from 'react';
import type { ImagePixels } from '../../shared/protocol';
import { rgbToRgba } from '../data/image-decode';
import './common.css';

export function PixelCanvas({ image, label, style, className }: { image: ImagePixels; label: string; style?: CSSProperties; className?: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useLayoutEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    ctx.putImageData(new ImageData(rgbToRgba(image.pixels), image.width, image.height), 0, 0);
  }, [image]);
  return <canvas ref={ref} width={image.width} height={image.height} role="img" aria-label={label} style={style} className={className} />;
}
