import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ClientError, describeCause } from './errors.js';
import type { Endpoint } from './host-pool.js';
import type { TlsOptions } from './options.js';

export interface ConnectOptions {
  tls: TlsOptions | undefined;
  timeoutMs: number;
  /** TCP keepalive initial delay; 0 disables keepalive. */
  keepAliveMs: number;
}

export type ConnectResult = { ok: true; socket: Socket } | { ok: false; error: ClientError };

/**
 * Opens a TCP connection, with the TLS handshake done when `tls` is set, within `timeoutMs`.
 * The error names the host and the cause (refused, timeout, certificate problem...).
 */
export function openSocket(
  endpoint: Endpoint,
  options: ConnectOptions,
  signal?: AbortSignal,
): Promise<ConnectResult> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve({ ok: false, error: new ClientError('closed', 'client closed', { host: endpoint.label }) });
      return;
    }
    const { host, port, label } = endpoint;
    let socket: Socket;
    const readyEvent = options.tls ? 'secureConnect' : 'connect';
    if (options.tls) {
      const servername = options.tls.servername ?? (isIP(host) === 0 ? host : undefined);
      socket = tlsConnect({
        host,
        port,
        ...options.tls,
        ...(servername === undefined ? {} : { servername }),
      });
    } else {
      socket = tcpConnect({ host, port });
    }
    let settled = false;
    const finish = (result: ConnectResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off(readyEvent, onReady);
      if (!result.ok) socket.destroy();
      resolve(result);
    };
    const onError = (err: Error) => {
      const tlsHint = options.tls ? ' (TLS)' : '';
      finish({
        ok: false,
        error: new ClientError(
          'connect_failed',
          `cannot connect to ${label}${tlsHint}: ${describeCause(err)}`,
          {
            host: label,
            cause: err,
          },
        ),
      });
    };
    const onReady = () => {
      if (options.keepAliveMs > 0) socket.setKeepAlive(true, options.keepAliveMs);
      socket.setNoDelay(true);
      finish({ ok: true, socket });
    };
    const timer = setTimeout(() => {
      finish({
        ok: false,
        error: new ClientError(
          'timeout',
          `cannot connect to ${label}: no connection within ${options.timeoutMs} ms`,
          {
            host: label,
          },
        ),
      });
    }, options.timeoutMs);
    const onAbort = () => {
      finish({ ok: false, error: new ClientError('closed', 'client closed', { host: label }) });
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once(readyEvent, onReady);
  });
}
