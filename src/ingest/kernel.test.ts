import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { platform } from 'node:os';
import { describe, expect, it } from 'vitest';
import { udpReceiveBufferErrors } from './kernel.js';

describe('udpReceiveBufferErrors', () => {
  it.runIf(platform() === 'linux')(
    'counts datagrams the kernel drops for a full receive buffer',
    async () => {
      // A receiver with a tiny buffer whose event loop is blocked, so it cannot read: the kernel must drop.
      const child = spawn(process.execPath, [
        '-e',
        `const s = require('node:dgram').createSocket({ type: 'udp4', recvBufferSize: 4096 });
       s.bind(0, '127.0.0.1', () => {
         console.log(s.address().port);
         const end = Date.now() + 1500;
         while (Date.now() < end) {}
         process.exit(0);
       });`,
      ]);
      const port = await new Promise<number>((resolve) =>
        child.stdout.once('data', (d) => resolve(Number(d))),
      );
      const before = udpReceiveBufferErrors()!;
      const sock = dgram.createSocket('udp4');
      const payload = Buffer.alloc(1400);
      for (let i = 0; i < 500; i++) await new Promise((r) => sock.send(payload, port, '127.0.0.1', r));
      sock.close();
      await new Promise((r) => child.once('exit', r));
      expect(udpReceiveBufferErrors()! - before).toBeGreaterThan(100);
    },
  );
});
