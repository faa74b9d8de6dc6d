/**
 * A real Azure blob server for tests: Azurite (npm `azurite`) as a child process on a free
 * 127.0.0.1 port, in memory, telemetry off. Signed (SAS) URLs are made with the emulator's
 * well-known account key, exactly as the real results service hands them out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';

export const AZURITE_ACCOUNT = 'devstoreaccount1';
/** The emulator's published development key (not a secret). */
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  /** e.g. http://127.0.0.1:41234/devstoreaccount1 */
  accountUrl: string;
  port: number;
  /** A signed URL for one blob of `container`; `perms` like "r" or "cw". */
  signedUrl(container: string, blob: string, perms: string, ttlSeconds?: number): string;
  createContainer(name: string): Promise<void>;
  deleteBlob(container: string, blob: string): Promise<void>;
  readBlob(container: string, blob: string): Promise<Buffer>;
  /** Overwrites a blob's content (keeps its content type). */
  overwriteBlob(container: string, blob: string, data: Buffer): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function azuriteBlobMain(): string {
  const require = createRequire(import.meta.url);
  return require.resolve('azurite/dist/src/blob/main.js');
}

async function spawnOnce(port: number, location: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      azuriteBlobMain(),
      '--blobHost', '127.0.0.1',
      '--blobPort', String(port),
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--loose',
      '--disableTelemetry',
    ],
    // In memory; the temp cwd catches anything it might still write.
    { cwd: location, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`Azurite did not start within 20 s:\n${out}`)), 20_000);
    const done = (err?: Error): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    };
    const onData = (b: Buffer): void => {
      out += b.toString();
      if (/successfully listens on/i.test(out)) done();
    };
    const onExit = (code: number | null): void => done(new Error(`Azurite exited (${code}) before listening:\n${out}`));
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', onExit);
  });
  // Keep draining its output (it logs every request) so it never blocks on a full pipe.
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

export async function startAzurite(): Promise<Azurite> {
  const location = mkdtempSync(join(tmpdir(), 'php-deploy-azurite-'));
  let child: ChildProcess | undefined;
  let port = 0;
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3 && !child; attempt++) {
    port = await freePort();
    try {
      child = await spawnOnce(port, location);
    } catch (err) {
      lastErr = err; // most likely the port was taken between freePort and spawn
    }
  }
  if (!child) {
    rmSync(location, { recursive: true, force: true });
    throw lastErr;
  }
  const accountUrl = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const cred = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
  const service = new BlobServiceClient(accountUrl, cred);
  const proc = child;

  return {
    accountUrl,
    port,
    signedUrl(container, blob, perms, ttlSeconds = 3600) {
      const sas = generateBlobSASQueryParameters(
        {
          containerName: container,
          blobName: blob,
          permissions: BlobSASPermissions.parse(perms),
          startsOn: new Date(Date.now() - 60_000),
          expiresOn: new Date(Date.now() + ttlSeconds * 1000),
          protocol: SASProtocol.HttpsAndHttp,
        },
        cred,
      ).toString();
      const path = blob.split('/').map(encodeURIComponent).join('/');
      return `${accountUrl}/${container}/${path}?${sas}`;
    },
    async createContainer(name) {
      await service.getContainerClient(name).createIfNotExists();
    },
    async deleteBlob(container, blob) {
      await service.getContainerClient(container).getBlobClient(blob).deleteIfExists();
    },
    async readBlob(container, blob) {
      return service.getContainerClient(container).getBlobClient(blob).downloadToBuffer();
    },
    async overwriteBlob(container, blob, data) {
      const client = service.getContainerClient(container).getBlockBlobClient(blob);
      const { contentType } = await client.getProperties();
      await client.upload(data, data.length, { blobHTTPHeaders: { blobContentType: contentType } });
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise<void>((r) => proc.once('exit', () => r()));
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(location, { recursive: true, force: true });
    },
  };
}
