import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Output of test/fixtures/make_django_users.py: hashes made by Django's own make_password. */
export interface DjangoFixture {
  django: string;
  users: Array<{
    username: string;
    password: string;
    algorithm: string;
    encoded: string;
    is_active: boolean;
  }>;
  vectors: Array<{
    algorithm: string;
    password: string;
    encoded: string;
    also_accepts?: string;
    note: string;
  }>;
}

const SCRIPT = fileURLToPath(new URL('./fixtures/make_django_users.py', import.meta.url));
const PYTHON = '/usr/bin/python3';

function runScript(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      PYTHON,
      [SCRIPT, ...args],
      { timeout: 60_000, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${SCRIPT} ${args.join(' ')} failed: ${stderr || error.message}`));
        else resolve(stdout);
      },
    );
    child.stdin?.end(input ?? '');
  });
}

export async function makeDjangoUsers(): Promise<DjangoFixture> {
  return JSON.parse(await runScript([])) as DjangoFixture;
}

/** Django's check_password on each pair. */
export async function djangoCheckPasswords(
  items: Array<{ password: string; encoded: string }>,
): Promise<boolean[]> {
  return JSON.parse(await runScript(['verify'], JSON.stringify(items))) as boolean[];
}
