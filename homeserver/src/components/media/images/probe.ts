import sharp, { type Metadata } from 'sharp';

/** The image formats we decode. Kept short on purpose: each decoder is attack surface. */
export const DECODABLE = new Set(['jpeg', 'png', 'webp', 'gif']);

export interface ImageInfo {
  format: 'jpeg' | 'png' | 'webp' | 'gif';
  /** Displayed size: EXIF orientation already applied. */
  width: number;
  /** The height of one frame, displayed. */
  height: number;
  pages: number;
  orientation: number;
  hasMetadata: boolean;
  /** width × frame height × frames: what decoding everything would cost. */
  pixels: number;
}

/**
 * Reads an image's header (no pixel decoding). Undefined when sharp cannot read it or it is not
 * a format we decode; such media is served as it is and cannot be thumbnailed.
 */
export async function probeImage(file: string): Promise<ImageInfo | undefined> {
  let m: Metadata;
  try {
    m = await sharp(file, { animated: true }).metadata();
  } catch {
    return undefined;
  }
  if (!m.format || !DECODABLE.has(m.format) || !m.width || !m.height) return undefined;
  const pages = m.pages ?? 1;
  const frameHeight = m.pageHeight ?? m.height;
  const orientation = m.orientation ?? 1;
  const swap = orientation >= 5 && orientation <= 8;
  return {
    format: m.format as ImageInfo['format'],
    width: swap ? frameHeight : m.width,
    height: swap ? m.width : frameHeight,
    pages,
    orientation,
    hasMetadata: m.exif !== undefined || m.xmp !== undefined || m.iptc !== undefined || (m.comments?.length ?? 0) > 0,
    pixels: m.width * frameHeight * pages,
  };
}
