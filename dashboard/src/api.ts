/**
 * Calls to the Quiver server the page came from, with the API key the user
 * typed. The key lives in sessionStorage only: it goes when the tab closes,
 * and no other tab or later visit sees it.
 */
import type { Access } from './types.js';

const KEY_ITEM = 'quiver.apiKey';

/** An API error reply: its status and stable code (docs/errors.md) and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Whatever a failed call threw, as an Error to show. */
export function asError(problem: unknown): Error {
  return problem instanceof Error ? problem : new Error(String(problem));
}

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_ITEM);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY_ITEM, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY_ITEM);
}

/** The API root: the server the page was served from (/dashboard/ is one level down). */
const root = new URL('../', document.baseURI);

async function call(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<Response> {
  const headers: Record<string, string> = { ...extraHeaders };
  const key = storedKey();
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const reply = await fetch(new URL(path.replace(/^\//, ''), root), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!reply.ok) {
    const error = (await reply.json().catch(() => ({}))) as { code?: string; message?: string };
    throw new ApiError(reply.status, error.code ?? `HTTP_${reply.status}`, error.message ?? reply.statusText);
  }
  return reply;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await call('GET', path)).json()) as T;
}

export async function postJson<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<T> {
  return (await (await call('POST', path, body, headers)).json()) as T;
}

export async function remove(path: string): Promise<void> {
  await call('DELETE', path);
}

export async function getText(path: string): Promise<string> {
  return (await call('GET', path)).text();
}

/** What the stored key allows (GET /access); 401 without a valid one. */
export async function access(): Promise<Access> {
  return (await getJson<{ access: Access }>('/access')).access;
}

export function collectionPath(name: string, rest = ''): string {
  return `/collections/${encodeURIComponent(name)}${rest}`;
}
