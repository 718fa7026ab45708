import { BufferedStripper } from './buffered-stripper.js';

/**
 * Removes metadata from a JPEG without re-encoding it: EXIF (GPS, camera, thumbnails), XMP,
 * IPTC/Photoshop and comment segments go; what decoding needs (quantisation and Huffman tables,
 * frame and scan headers, JFIF, ICC colour profile, Adobe colour transform) stays, as do the
 * compressed pixels, byte for byte. Anything after the image's end marker (phones append depth
 * maps and other pictures, each with its own metadata) is dropped too.
 *
 * When `orientation` is not 1, a minimal EXIF segment holding only the orientation is written so
 * the photo still displays upright.
 */
export class JpegMetadataStripper extends BufferedStripper {
  private state: 'soi' | 'marker' | 'scan' | 'done' = 'soi';
  private orientationPending: boolean;

  constructor(private readonly orientation = 1) {
    super('JPEG ended before its end-of-image marker');
    this.orientationPending = orientation > 1 && orientation <= 8;
  }

  protected finished(): boolean {
    return this.state === 'done';
  }

  protected process(): void {
    let i = 0;
    const b = this.buf;
    while (i < b.length && this.state !== 'done') {
      if (this.state === 'soi') {
        if (b.length - i < 2) break;
        if (b[i] !== 0xff || b[i + 1] !== 0xd8) throw new Error('not a JPEG: no start-of-image marker');
        this.push(b.subarray(i, i + 2));
        i += 2;
        this.state = 'marker';
      } else if (this.state === 'marker') {
        // Fill bytes (0xFF runs) may precede a marker.
        let j = i;
        while (j < b.length && b[j] === 0xff) j++;
        if (j >= b.length) break;
        if (j === i) throw new Error(`JPEG marker expected at byte ${i}`);
        const marker = b[j]!;
        if (marker === 0xd9) {
          this.emitOrientation();
          this.push(Buffer.from([0xff, 0xd9]));
          this.state = 'done';
          i = j + 1;
          break;
        }
        if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
          this.push(Buffer.from([0xff, marker]));
          i = j + 1;
          continue;
        }
        if (b.length - j < 3) break;
        const length = b.readUInt16BE(j + 1);
        if (length < 2) throw new Error('JPEG segment with a bad length');
        const end = j + 1 + length;
        if (end > b.length) break;
        const segment = b.subarray(j + 1 + 2, end);
        if (marker !== 0xe0) this.emitOrientation();
        if (keepSegment(marker, segment)) {
          this.push(Buffer.from([0xff, marker]));
          this.push(b.subarray(j + 1, end));
        }
        i = end;
        if (marker === 0xda) this.state = 'scan';
      } else {
        // Entropy-coded data: 0xFF is followed by 0x00 (stuffing) or a restart marker inside it;
        // any other byte after 0xFF is the next real marker.
        let j = i;
        let found = -1;
        while (j < b.length) {
          const k = b.indexOf(0xff, j);
          if (k < 0 || k + 1 >= b.length) {
            j = k < 0 ? b.length : k;
            break;
          }
          const next = b[k + 1]!;
          if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
            j = k + (next === 0xff ? 1 : 2);
            continue;
          }
          found = k;
          break;
        }
        const upTo = found >= 0 ? found : j;
        if (upTo > i) this.push(b.subarray(i, upTo));
        i = upTo;
        if (found >= 0) this.state = 'marker';
        else break;
      }
    }
    this.buf = this.state === 'done' ? Buffer.alloc(0) : Buffer.from(b.subarray(i));
  }

  private emitOrientation(): void {
    if (!this.orientationPending) return;
    this.orientationPending = false;
    this.push(orientationSegment(this.orientation));
  }
}

const ICC = Buffer.from('ICC_PROFILE\0', 'latin1');

function keepSegment(marker: number, data: Buffer): boolean {
  if (marker === 0xfe) return false; // COM
  if (marker < 0xe0 || marker > 0xef) return true; // not an APPn: tables, frame, scan headers
  if (marker === 0xe0) return true; // JFIF / JFXX
  if (marker === 0xee) return true; // Adobe: colour transform, needed to decode CMYK/YCCK
  if (marker === 0xe2) return data.subarray(0, ICC.length).equals(ICC); // ICC yes, MPF no
  return false;
}

/** An APP1 EXIF segment with one tag: Orientation. */
function orientationSegment(orientation: number): Buffer {
  return Buffer.from([
    0xff, 0xe1, 0x00, 0x22, // APP1, length 34
    0x45, 0x78, 0x69, 0x66, 0x00, 0x00, // "Exif\0\0"
    0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08, // big-endian TIFF header, IFD0 at 8
    0x00, 0x01, // one entry
    0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, orientation, 0x00, 0x00, // Orientation, SHORT
    0x00, 0x00, 0x00, 0x00, // no next IFD
  ]);
}
