/**
 * The two AES threads of aes-worker.ts; `workerData.role` says which this one is. The cipher
 * thread enciphers each slot of shared memory in place with WinZipAesCtr and hands every message
 * on to the MAC thread, in order; the MAC thread computes HMAC-SHA1 over each enciphered slot and
 * answers the main thread. Bundled as a file of its own beside each function's handler.
 */
import { createHmac, type Hmac } from 'node:crypto';
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { AesThreadData, MacReply, ThreadMessage } from './aes-worker';
import { WinZipAesCtr } from './crypto';

const data = workerData as AesThreadData;
const slots = Buffer.from(data.slots);
const main = parentPort!;

function slot(message: { slot: number; length: number }): Buffer {
  const start = message.slot * data.slotBytes;
  return slots.subarray(start, start + message.length);
}

function runCipher(toMac: MessagePort): void {
  const entries = new Map<number, WinZipAesCtr>();
  main.on('message', (message: ThreadMessage) => {
    if (message.type === 'open') {
      entries.set(message.id, new WinZipAesCtr(Buffer.from(message.aesKey)));
    } else if (message.type === 'data') {
      entries.get(message.id)?.encipherInPlace(slot(message));
    } else {
      entries.delete(message.id);
    }
    toMac.postMessage(message);
  });
}

function runMac(fromCipher: MessagePort): void {
  const macs = new Map<number, Hmac>();
  const answer = (reply: MacReply) => main.postMessage(reply);
  fromCipher.on('message', (message: ThreadMessage) => {
    if (message.type === 'open') {
      macs.set(message.id, createHmac('sha1', Buffer.from(message.hmacKey)));
    } else if (message.type === 'data') {
      const mac = macs.get(message.id);
      mac?.update(slot(message));
      answer({ id: message.id, slot: message.slot, length: message.length, dropped: !mac });
    } else if (message.type === 'end') {
      const mac = macs.get(message.id)!;
      macs.delete(message.id);
      answer({ id: message.id, mac: mac.digest() });
    } else {
      macs.delete(message.id);
    }
  });
}

if (data.role === 'cipher') runCipher(data.port);
else runMac(data.port);
