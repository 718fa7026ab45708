import { parseMxc, type MatrixApi } from '../matrix/api';
import type { CryptoEngine } from '../matrix/crypto/engine';
import type { ClientStore } from '../matrix/store/store';
import type { JsonObject } from '../matrix/types';

/** Width and height of an image this browser can decode; undefined for others (HEIC, SVG…). */
export async function imageSize(file: Blob): Promise<{ w: number; h: number } | undefined> {
  try {
    const bitmap = await createImageBitmap(file);
    const size = { w: bitmap.width, h: bitmap.height };
    bitmap.close();
    return size;
  } catch {
    return undefined;
  }
}

/**
 * Media of one account: thumbnails and downloads as object URLs (authenticated media needs our
 * token, so it is fetched rather than linked; encrypted files are decrypted here), and uploads
 * turned into message content.
 */
export class MediaFiles {
  private readonly thumbs = new Map<string, Promise<string | undefined>>();
  private readonly downloads = new Map<string, Promise<string>>();

  constructor(
    private readonly api: MatrixApi,
    private readonly store: ClientStore,
    /** The crypto engine once it has loaded; undefined where it cannot run. */
    private readonly crypto: () => Promise<CryptoEngine | undefined>,
  ) {}

  /** An object URL for an mxc:// thumbnail, kept in the store so avatars show offline too. */
  thumbnail(mxc: string, size: number): Promise<string | undefined> {
    if (!parseMxc(mxc)) return Promise.resolve(undefined);
    const key = `${mxc}#${size}`;
    let p = this.thumbs.get(key);
    if (!p) {
      p = (async () => {
        const cached = await this.store.getMedia(key).catch(() => undefined);
        if (cached) return URL.createObjectURL(cached);
        const blob = await this.api.thumbnail(mxc, size);
        await this.store.putMedia(key, blob).catch(() => undefined);
        return URL.createObjectURL(blob);
      })();
      // A failure is not remembered: the next render may try again.
      p.catch(() => this.thumbs.delete(key));
      this.thumbs.set(key, p);
    }
    return p;
  }

  /** An object URL for the full content (images opened, files saved, audio played); decrypted when it was encrypted. */
  url(mxc: string, file?: JsonObject): Promise<string> {
    let p = this.downloads.get(mxc);
    if (!p) {
      p = (async () => {
        const blob = await this.api.download(mxc);
        if (!file) return URL.createObjectURL(blob);
        const crypto = await this.crypto();
        if (!crypto) throw new Error('This file is encrypted, and encryption could not start in this browser.');
        const clear = crypto.decryptAttachment(new Uint8Array(await blob.arrayBuffer()), file);
        const mimetype = typeof file.mimetype === 'string' ? file.mimetype : '';
        return URL.createObjectURL(new Blob([clear as BlobPart], { type: mimetype }));
      })();
      p.catch(() => this.downloads.delete(mxc));
      this.downloads.set(mxc, p);
    }
    return p;
  }

  /**
   * Uploads a file and answers the message content for it, of the kind its type calls for; in an
   * encrypted room the server only ever sees ciphertext (and so makes no thumbnails).
   */
  async fileMessage(file: Blob, name: string, encrypted: boolean, extra: JsonObject = {}, onProgress?: (fraction: number) => void): Promise<JsonObject> {
    const mimetype = file.type || 'application/octet-stream';
    const info: JsonObject = { mimetype, size: file.size };
    let msgtype = 'm.file';
    if (mimetype.startsWith('image/')) {
      msgtype = 'm.image';
      Object.assign(info, await imageSize(file));
    } else if (mimetype.startsWith('audio/')) msgtype = 'm.audio';
    else if (mimetype.startsWith('video/')) msgtype = 'm.video';
    for (const k of ['duration', 'w', 'h'] as const) if (typeof extra[k] === 'number') info[k] = extra[k];
    const { duration: _d, w: _w, h: _h, ...rest } = extra;
    if (encrypted) {
      const crypto = await this.crypto();
      if (!crypto) throw new Error('This room is encrypted, and encryption could not start in this browser.');
      const enc = crypto.encryptAttachment(new Uint8Array(await file.arrayBuffer()));
      const url = await this.api.upload(new Blob([enc.data as BlobPart], { type: 'application/octet-stream' }), 'encrypted', onProgress);
      return { msgtype, body: name, filename: name, file: { ...enc.file, url, mimetype }, info, ...rest };
    }
    const url = await this.api.upload(file, name, onProgress);
    return { msgtype, body: name, filename: name, url, info, ...rest };
  }

  /** Uploads a picture and describes it as m.room.avatar content (url and info). */
  async imageContent(file: File): Promise<JsonObject> {
    const url = await this.api.upload(file, file.name);
    const info: JsonObject = { mimetype: file.type || 'application/octet-stream', size: file.size, ...(await imageSize(file)) };
    return { url, info };
  }
}
