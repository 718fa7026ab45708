import sharp from 'sharp';
import type { ImageInfo } from '../images/probe.js';
import type { ThumbnailPlan } from './select.js';

export interface RenderedFormat {
  contentType: 'image/jpeg' | 'image/png' | 'image/webp';
  extension: 'jpg' | 'png' | 'webp';
}

/** Photos stay JPEG, WebP stays WebP, the rest (PNG, GIF, with their transparency) become PNG; animation is WebP, as the spec prefers. */
export function thumbnailFormat(image: ImageInfo, animated: boolean): RenderedFormat {
  if (animated || image.format === 'webp') return { contentType: 'image/webp', extension: 'webp' };
  if (image.format === 'jpeg') return { contentType: 'image/jpeg', extension: 'jpg' };
  return { contentType: 'image/png', extension: 'png' };
}

/**
 * Writes one thumbnail to `out`. Runs on libvips' threads (sharp is asynchronous), so the event
 * loop stays free however large the source.
 */
export async function renderThumbnail(
  input: string,
  out: string,
  plan: ThumbnailPlan,
  image: ImageInfo,
  options: { animated: boolean; quality: number; maxImagePixels: number },
): Promise<{ width: number; height: number; size: number }> {
  const { animated } = options;
  let p = sharp(input, { animated, limitInputPixels: options.maxImagePixels, failOn: 'error' });
  // Frames of an animation are not re-oriented (GIF and WebP carry no EXIF orientation anyway).
  if (!animated) p = p.autoOrient();
  p = p.resize(plan.width, plan.height, { fit: plan.spec.method === 'crop' ? 'cover' : 'fill' });
  const format = thumbnailFormat(image, animated);
  if (format.extension === 'webp') p = p.webp({ quality: options.quality, effort: 2 });
  else if (format.extension === 'jpg') p = p.jpeg({ quality: options.quality, mozjpeg: false });
  else p = p.png({ compressionLevel: 6 });
  const info = await p.toFile(out);
  return { width: info.width, height: animated ? (info.pageHeight ?? info.height) : info.height, size: info.size };
}
