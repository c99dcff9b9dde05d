// What went wrong in an OAuth sign-in, a device code or a pairing, in plain words: each category the API
// names (a flow's `category`, a problem's `category`, the callback's `?error=`) as a sentence that says what
// happened and what to do next.

import { html } from '../../lib/html.js';

export const neverCameBack = 'The provider never sent you back here: this server may not be reachable from your browser.';
export const expiredCode = 'The code expired — request a new code.';

const sentences = {
    access_denied: 'The sign-in was declined at the provider (you chose Cancel or Deny, or the provider refused this account), so nothing was connected. Start again and allow access.',
    redirect_uri_mismatch: 'The provider refused the redirect URI: its OAuth app does not list the address Switchboard sent you back to. Register exactly the URI below in your OAuth app, then start again.',
    invalid_grant: 'The provider did not accept the sign-in code: it was used already, it expired, or it belongs to another sign-in. Start again.',
    issuer_mismatch: 'The answer did not come from the provider this sign-in started with (its issuer did not match), so it was refused. Start again; if it happens again, check the issuer of the OAuth app.',
    token_exchange_failed: 'You signed in, but the provider did not hand over the tokens. Check the OAuth app’s client id and secret, then start again.',
    storage_failed: 'You signed in, but the tokens could not be stored on this server, so nothing was saved. Try again.',
    insufficient_scope: 'Signed in, but the provider did not grant every permission Switchboard needs; sign in again and allow it.',
    state_mismatch: 'The sign-in could not be matched to this page: it was probably started in another tab, from an old page, or before you signed in again. Start again.',
    callback_timeout: neverCameBack,
    expired_token: expiredCode,
    expired: 'The sign-in took longer than 10 minutes and expired. Start again.',
    provider_error: 'The provider answered the sign-in with an error, so nothing was connected. Start again; if it happens again, check the OAuth app at the provider.',
    unknown_flow: 'This sign-in is not known to the server any more (it finished, expired or the server restarted). Start again.',
};

/** The sentence for `category`, with the missing scopes named when they are known. */
export function categorySentence(category, { missingScopes = [] } = {}) {
    if (category === 'insufficient_scope' && missingScopes.length) {
        return `Signed in, but the provider did not grant ${missingScopes.join(', ')}; sign in again and allow it.`;
    }
    return sentences[category] ?? 'The sign-in did not finish. Start again.';
}

/** A failure as markup: the sentence, then the server's own words when they add something. */
export function failureText(category, { missingScopes = [], message = '' } = {}) {
    const sentence = categorySentence(category, { missingScopes });
    return html`<span data-failure-sentence>${sentence}</span>${message && message !== sentence ? html` <span class="muted" data-failure-detail>(${message})</span>` : ''}`;
}
