/**
 * Access tokens for end-to-end tests without the OAuth flow: the Worker's DEV_MODE route
 * `POST /_dev/token` opens a grant for a test user and returns its tokens.
 */

/**
 * @param {string} baseUrl  the Worker's origin
 * @param {string} email
 * @param {string[]} [groups]
 * @returns {Promise<{access_token: string, refresh_token: string, user_key: string}>}
 */
export async function devToken(baseUrl, email, groups = []) {
  const r = await fetch(`${baseUrl}/_dev/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, groups }),
  });
  if (r.status !== 200) throw new Error(`/_dev/token answered ${r.status}: ${await r.text()}`);
  return r.json();
}
