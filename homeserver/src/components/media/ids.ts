import { randomInt } from 'node:crypto';
import { isValidServerName } from '../../core/ids.js';
import { errors } from '../../http/errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** The spec's media ID alphabet; nothing else may reach a query or a file name. */
const MEDIA_ID = /^[A-Za-z0-9_-]{1,255}$/;

/** 24 random letters and digits (about 143 bits), as Synapse makes them. */
export function newMediaId(): string {
  let id = '';
  for (let i = 0; i < 24; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

export function isValidMediaId(s: string): boolean {
  return MEDIA_ID.test(s);
}

/** The {serverName}/{mediaId} of a media path, checked as the spec's security section asks. */
export function mediaKeyParams(params: Record<string, string | undefined>): { serverName: string; mediaId: string } {
  const serverName = params.serverName ?? '';
  const mediaId = params.mediaId ?? '';
  if (!isValidServerName(serverName)) throw errors.invalidParam('Invalid server name');
  if (!isValidMediaId(mediaId)) throw errors.invalidParam('Invalid media ID: only A-Z, a-z, 0-9, _ and - are allowed');
  return { serverName, mediaId };
}

export const mxcUri = (serverName: string, mediaId: string): string => `mxc://${serverName}/${mediaId}`;

/** `mxc://{serverName}/{mediaId}` with a valid server name and media ID; undefined otherwise. */
export function parseMxc(uri: string): { serverName: string; mediaId: string } | undefined {
  const m = /^mxc:\/\/([^/]+)\/([^/]+)$/.exec(uri);
  if (!m || !isValidServerName(m[1]!) || !isValidMediaId(m[2]!)) return undefined;
  return { serverName: m[1]!, mediaId: m[2]! };
}
