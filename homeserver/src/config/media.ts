import path from 'node:path';
import * as s from './settings.js';

/** A thumbnail size the server makes, as Synapse's `thumbnail_sizes` lists them. */
export interface ThumbnailSize {
  width: number;
  height: number;
  method: 'crop' | 'scale';
}

/** The media repository's settings (component `media`). */
export interface MediaConfig {
  /** Content, thumbnails and temporary uploads live under this folder. */
  directory: string;
  maxUploadBytes: number;
  /**
   * Media created at or after this time (ms) is served only by the authenticated endpoints; the
   * deprecated /_matrix/media/v3/download|thumbnail answer 404 for it. 0: frozen from the start.
   */
  unauthenticatedFrozenAfterTs: number;
  thumbnailSizes: ThumbnailSize[];
  /** Images with more pixels (all frames together) are neither re-encoded nor thumbnailed. */
  maxImagePixels: number;
  /** JPEG and WebP photos whose longer side exceeds this are scaled down on upload; 0 keeps the size. */
  maxImageDimension: number;
  /** Encoder quality (1-100) for re-encoded photos and thumbnails. */
  imageQuality: number;
  /** Keep the uploaded bytes beside the re-encoded copy (admins can recover them from disk). */
  keepOriginal: boolean;
  uploadRate: { perSecond: number; burst: number };
  urlPreview: {
    enabled: boolean;
    /** CIDRs allowed despite the built-in deny list of private and reserved ranges. */
    ipRangeAllowlist: string[];
    timeoutMs: number;
    maxBytes: number;
    cacheTtlMs: number;
  };
}

export const DEFAULT_THUMBNAIL_SIZES: readonly ThumbnailSize[] = [
  { width: 32, height: 32, method: 'crop' },
  { width: 96, height: 96, method: 'crop' },
  { width: 320, height: 240, method: 'scale' },
  { width: 640, height: 480, method: 'scale' },
  { width: 800, height: 600, method: 'scale' },
];

function list(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map((x) => s.nonEmpty(x));
  return (s.optionalText(raw) ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

function thumbnailSizes(raw: unknown): ThumbnailSize[] {
  const out = list(raw).map((item) => {
    const m = /^(\d{1,4})x(\d{1,4})[-\s]+(crop|scale)$/.exec(item.trim());
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error(`entries must look like 320x240-scale or 32x32-crop (got ${JSON.stringify(item)})`);
    return { width: Number(m[1]), height: Number(m[2]), method: m[3] as ThumbnailSize['method'] };
  });
  if (out.length === 0) throw new Error('must list at least one size');
  return out;
}

/** An ISO 8601 date or time, or milliseconds since the epoch; unset means "from the start". */
function freezeDate(raw: unknown): number {
  const text = s.optionalText(raw);
  if (text === undefined) return 0;
  const n = /^\d+$/.test(text.trim()) ? Number(text) : Date.parse(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`must be a date like 2024-09-01T00:00:00Z or milliseconds since 1970 (got ${JSON.stringify(text)})`);
  return n;
}

function rate(raw: unknown): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > 1e6) throw new Error(`must be a number above 0 (got ${JSON.stringify(raw)})`);
  return n;
}

/** The media settings, merged into load.ts's table: YAML path → variable, parser, default. */
export const MEDIA_SETTINGS = {
  'media.directory': { env: 'HS_MEDIA_DIR', parse: s.optionalText, fallback: undefined },
  'media.max_upload_bytes': { env: 'HS_MEDIA_MAX_UPLOAD_BYTES', parse: s.integer(1024, 64 * 1024 * 1024 * 1024), fallback: 50 * 1024 * 1024 },
  'media.unauthenticated_frozen_after': { env: 'HS_MEDIA_UNAUTHENTICATED_FROZEN_AFTER', parse: freezeDate, fallback: 0 },
  'media.thumbnail_sizes': { env: 'HS_MEDIA_THUMBNAIL_SIZES', parse: thumbnailSizes, fallback: DEFAULT_THUMBNAIL_SIZES as ThumbnailSize[] },
  'media.max_image_pixels': { env: 'HS_MEDIA_MAX_IMAGE_PIXELS', parse: s.integer(1, 2 ** 40), fallback: 32_000_000 },
  'media.max_image_dimension': { env: 'HS_MEDIA_MAX_IMAGE_DIMENSION', parse: s.integer(0, 65_535), fallback: 4096 },
  'media.image_quality': { env: 'HS_MEDIA_IMAGE_QUALITY', parse: s.integer(1, 100), fallback: 85 },
  'media.keep_original': { env: 'HS_MEDIA_KEEP_ORIGINAL', parse: s.boolean, fallback: false },
  'rate_limits.media_upload_per_second': { env: 'HS_RATE_LIMIT_MEDIA_UPLOAD_PER_SECOND', parse: rate, fallback: 2 },
  'rate_limits.media_upload_burst': { env: 'HS_RATE_LIMIT_MEDIA_UPLOAD_BURST', parse: s.integer(1, 1_000_000), fallback: 30 },
  'url_preview.enabled': { env: 'HS_URL_PREVIEW_ENABLED', parse: s.boolean, fallback: false },
  'url_preview.ip_range_allowlist': { env: 'HS_URL_PREVIEW_IP_RANGE_ALLOWLIST', parse: s.cidrList, fallback: [] as string[] },
  'url_preview.timeout_ms': { env: 'HS_URL_PREVIEW_TIMEOUT_MS', parse: s.integer(100, 120_000), fallback: 10_000 },
  'url_preview.max_bytes': { env: 'HS_URL_PREVIEW_MAX_BYTES', parse: s.integer(1024, 1024 * 1024 * 1024), fallback: 10 * 1024 * 1024 },
  'url_preview.cache_ttl_ms': { env: 'HS_URL_PREVIEW_CACHE_TTL_MS', parse: s.integer(0, 30 * 24 * 3600_000), fallback: 24 * 3600_000 },
} as const;

type MediaKey = keyof typeof MEDIA_SETTINGS;
type Getter = <K extends MediaKey>(key: K) => ReturnType<(typeof MEDIA_SETTINGS)[K]['parse']>;

export function mediaConfig(get: Getter, dataDir: string): MediaConfig {
  const directory = get('media.directory');
  return {
    directory: directory === undefined ? path.join(dataDir, 'media') : path.resolve(dataDir, directory),
    maxUploadBytes: get('media.max_upload_bytes'),
    unauthenticatedFrozenAfterTs: get('media.unauthenticated_frozen_after'),
    thumbnailSizes: get('media.thumbnail_sizes'),
    maxImagePixels: get('media.max_image_pixels'),
    maxImageDimension: get('media.max_image_dimension'),
    imageQuality: get('media.image_quality'),
    keepOriginal: get('media.keep_original'),
    uploadRate: { perSecond: get('rate_limits.media_upload_per_second'), burst: get('rate_limits.media_upload_burst') },
    urlPreview: {
      enabled: get('url_preview.enabled'),
      ipRangeAllowlist: get('url_preview.ip_range_allowlist'),
      timeoutMs: get('url_preview.timeout_ms'),
      maxBytes: get('url_preview.max_bytes'),
      cacheTtlMs: get('url_preview.cache_ttl_ms'),
    },
  };
}
