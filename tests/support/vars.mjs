/**
 * The Worker settings the tests start it with: the local OpenID Provider as upstream, a throwaway
 * cookie key, and whatever a test overrides.
 */
import { randomBytes } from 'node:crypto';

const COOKIE_KEY = randomBytes(32).toString('hex');

/** @param {Record<string,string>} overrides */
export function baseVars(overrides = {}) {
  return {
    ACCESS_ISSUER: 'http://127.0.0.1:9',
    ACCESS_CLIENT_ID: 'mcp-test',
    ACCESS_CLIENT_SECRET: 'test-secret',
    COOKIE_ENCRYPTION_KEY: COOKIE_KEY,
    DEV_MODE: '0',
    ...overrides,
  };
}
