/** The tags of IFD0 in an EXIF block as sharp's metadata() returns it ("Exif\0\0" + TIFF). */
export function exifIfd0Tags(exif: Buffer | undefined): number[] {
  if (!exif || exif.length < 14) return [];
  const base = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0;
  const le = exif[base] === 0x49;
  const u16 = (o: number): number => (le ? exif.readUInt16LE(base + o) : exif.readUInt16BE(base + o));
  const u32 = (o: number): number => (le ? exif.readUInt32LE(base + o) : exif.readUInt32BE(base + o));
  const ifd0 = u32(4);
  const count = u16(ifd0);
  return Array.from({ length: count }, (_, i) => u16(ifd0 + 2 + 12 * i));
}

export const GPS_IFD_POINTER = 0x8825;
export const XMP_GPS = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="51,30.0N" exif:GPSLongitude="0,7.5W"/></rdf:RDF></x:xmpmeta>';
export const CAMERA_EXIF = { IFD0: { Make: 'SecretCam', Model: 'Model X' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 30/1' } };

/** PNG chunk types in order. */
export function pngChunks(png: Buffer): string[] {
  const out: string[] = [];
  for (let i = 8; i + 8 <= png.length; ) {
    const len = png.readUInt32BE(i);
    out.push(png.toString('latin1', i + 4, i + 8));
    i += 12 + len;
  }
  return out;
}
