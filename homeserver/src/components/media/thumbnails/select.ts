import type { ThumbnailSize } from '../../../config/media.js';

/** A configured size as it comes out for one image: never larger than the image itself. */
export interface ThumbnailPlan {
  spec: ThumbnailSize;
  width: number;
  height: number;
}

/**
 * The thumbnail each configured size gives for an image of `srcW`×`srcH`. "scale" fits inside the
 * box keeping the aspect ratio; "crop" fills the box's aspect ratio. Neither ever upscales: a
 * crop box larger than the image shrinks (same aspect) until it fits.
 */
export function planThumbnails(sizes: readonly ThumbnailSize[], srcW: number, srcH: number): ThumbnailPlan[] {
  return sizes.map((spec) => {
    if (spec.method === 'crop') {
      const k = Math.min(1, srcW / spec.width, srcH / spec.height);
      return { spec, width: Math.max(1, Math.round(spec.width * k)), height: Math.max(1, Math.round(spec.height * k)) };
    }
    const k = Math.min(1, spec.width / srcW, spec.height / srcH);
    return { spec, width: Math.max(1, Math.round(srcW * k)), height: Math.max(1, Math.round(srcH * k)) };
  });
}

/**
 * Picks the thumbnail for a request, the way Synapse ranks its pre-generated ones: among those of
 * the requested method at least as large as asked in one dimension, the closest (for crop, the
 * closest aspect ratio first); failing that, the closest smaller one. With no thumbnail of that
 * method configured, the other method's are ranked the same way.
 */
export function selectThumbnail(plans: readonly ThumbnailPlan[], width: number, height: number, method: 'crop' | 'scale'): ThumbnailPlan | undefined {
  const ofMethod = plans.filter((p) => p.spec.method === method);
  const candidates = ofMethod.length > 0 ? ofMethod : plans;
  const rank = (p: ThumbnailPlan): number[] => {
    const size = Math.abs((width - p.width) * (height - p.height));
    if (method !== 'crop') return [size];
    const aspect = Math.abs(width * p.height - height * p.width);
    const notLarger = width <= p.width && height <= p.height ? 0 : 1;
    return [aspect, notLarger, size];
  };
  const larger = candidates.filter((p) => p.width >= width || p.height >= height);
  const pool = larger.length > 0 ? larger : candidates;
  let best: ThumbnailPlan | undefined;
  let bestRank: number[] | undefined;
  for (const p of pool) {
    const r = rank(p);
    if (!bestRank || lexLess(r, bestRank)) {
      best = p;
      bestRank = r;
    }
  }
  return best;
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! !== b[i]!) return a[i]! < b[i]!;
  }
  return false;
}
