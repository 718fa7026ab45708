import { randomBytes } from 'node:crypto';
import { encodeBase64 } from '../../homeserver/src/core/base64.js';
import { generateSigningKey, signJson, type SigningKey } from '../../homeserver/src/core/signing.js';

/**
 * Device keys for raw-API scenarios: a real Ed25519 key (servers check the self-signature) and a
 * random stand-in for the Curve25519 key, which servers only store and pass on.
 */

export interface TestDevice {
  userId: string;
  deviceId: string;
  ed25519: SigningKey;
  /** The signed `device_keys` object for /keys/upload. */
  deviceKeys: Record<string, any>;
}

const randomKey = (): string => encodeBase64(randomBytes(32));

export function makeDevice(userId: string, deviceId: string): TestDevice {
  const ed25519 = generateSigningKey();
  const unsigned = {
    user_id: userId,
    device_id: deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`curve25519:${deviceId}`]: randomKey(), [`ed25519:${deviceId}`]: ed25519.publicKey },
  };
  return { userId, deviceId, ed25519, deviceKeys: signJson(unsigned, userId, `ed25519:${deviceId}`, ed25519.seed) };
}

/** `count` signed one-time keys named `signed_curve25519:<prefix><i>`, signed by the device. */
export function oneTimeKeys(device: TestDevice, count: number, prefix = 'otk'): Record<string, any> {
  const out: Record<string, any> = {};
  for (let i = 0; i < count; i++) {
    out[`signed_curve25519:${prefix}${i}`] = signJson({ key: randomKey() }, device.userId, `ed25519:${device.deviceId}`, device.ed25519.seed);
  }
  return out;
}
