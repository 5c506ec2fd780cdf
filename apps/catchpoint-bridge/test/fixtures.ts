import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type NodeInfo, nodeFromV1 } from '../src/node-info.js';

const dir = fileURLToPath(new URL('../src/__fixtures__/', import.meta.url));

export const PUSH_FIXTURES = ['web', 'dns', 'ping', 'transaction', 'error', 'unknown-node'] as const;
export type PushFixture = (typeof PUSH_FIXTURES)[number];

export function fixtureText(name: string): string {
  return readFileSync(`${dir}${name}.json`, 'utf8');
}

export function fixture(name: PushFixture | 'nodes-v1'): unknown {
  return JSON.parse(fixtureText(name));
}

/** The nodes of nodes-v1.json, as the bridge holds them. */
export function fixtureNodes(): NodeInfo[] {
  const raw = fixture('nodes-v1') as { items: unknown[] };
  return raw.items.map((r) => nodeFromV1(r)!);
}
